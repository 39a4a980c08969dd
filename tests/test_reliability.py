"""Nothing indexed is lost, nothing misquoted (issue 15): each test failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import PROJECT_ROOT, Settings
from index.encoder_protocol import SentenceEncoder
from index.ingest import ingest
from index.store import Store
from qa.engine import Assistant

HARBOUR = (
    "The Harbour Wall\n\n"
    "The harbour wall was rebuilt in 1998 by four hundred workers from the town. "
    "It had been broken by the storm of 1994.\n"
)


def harbour_index(tmp_path: Path, encoder: SentenceEncoder) -> tuple[Path, Path, Settings]:
    """A folder holding one article, indexed: (the folder, the article, the index's settings)."""
    folder = tmp_path / "docs"
    folder.mkdir()
    path = folder / "harbour.txt"
    path.write_text(HARBOUR, encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest([folder], settings, encoder)
    return folder, path, settings


def harbour_walls(folder: Path, count: int) -> Path:
    """`folder` made, holding `count` versions of the article, each rebuilt in another year."""
    folder.mkdir()
    for n in range(count):
        (folder / f"wall-{n:02d}.txt").write_text(HARBOUR.replace("1998", str(1900 + n)), encoding="utf-8")
    return folder


def test_a_same_size_edit_that_keeps_the_mtime_is_never_quoted_as_it_was(tmp_path: Path,
                                                                         encoder: SentenceEncoder) -> None:
    _, path, settings = harbour_index(tmp_path, encoder)
    assistant = Assistant.open(settings, encoder)
    question = "when was the harbour wall rebuilt?"
    assert "rebuilt in 1998" in assistant.ask(question).passages[0].text

    stat = path.stat()
    path.write_text(HARBOUR.replace("1998", "2003"), encoding="utf-8")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as `cp -p` or `touch -r` leave it
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns

    again = assistant.ask(question)  # the same session, which read the file before
    text = path.read_text(encoding="utf-8")
    assert all(p.text == text[p.citation.start : p.citation.end] for p in again.passages)
    assert not any("1998" in p.text for p in again.passages) and str(path) in again.stale


def test_a_file_replaced_by_binary_bytes_says_so_with_a_step_that_helps(tmp_path: Path,
                                                                        encoder: SentenceEncoder) -> None:
    from qa.terminal import Style, render_answer

    folder, path, settings = harbour_index(tmp_path, encoder)
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    assert ingest([folder], settings, encoder).skipped, "the ingest names it and keeps what it had"
    answer = Assistant.open(settings, encoder).ask("when was the harbour wall rebuilt?")
    shown = render_answer(answer, Style(open(os.devnull, "w")), 100)  # noqa: SIM115
    assert "can no longer be read (binary file, not text)" in shown and "remove it and run `qa ingest`" in shown
    assert "run `qa ingest` to refresh it" not in shown


def test_linked_folders_are_read_when_asked_and_link_loops_are_named(tmp_path: Path,
                                                                    encoder: SentenceEncoder) -> None:
    folder, elsewhere = tmp_path / "docs", tmp_path / "elsewhere"
    (folder / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    (elsewhere / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    (folder / "linked").symlink_to(elsewhere, target_is_directory=True)  # a folder of the corpus kept elsewhere
    (folder / "sub" / "up").symlink_to(folder, target_is_directory=True)  # a loop back to the top
    (folder / "a.txt").symlink_to(folder / "b.txt")
    (folder / "b.txt").symlink_to(folder / "a.txt")
    settings = Settings(index=str(tmp_path / "index"))
    report = ingest([folder], settings, encoder)  # a link out of the folder named is not followed unasked
    assert report.added == []
    problems = {Path(p.path).name: str(p) for p in report.skipped}
    assert set(problems) == {"a.txt", "b.txt", "up", "linked"}
    assert f"a link to {elsewhere}, outside the folders named" in problems["linked"]
    report = ingest([folder], settings, encoder, follow_links=True)
    assert [Path(p).name for p in report.added] == ["harbour.txt"], "the linked folder's file is indexed"
    problems = {Path(p.path).name: str(p) for p in report.skipped}
    assert set(problems) == {"a.txt", "b.txt", "up"}
    assert all("link" in line and "permissions" not in line for line in problems.values())


def _tmpfs(tmp_path: Path, name: str, size: str) -> Iterator[Path]:
    """A real tmpfs of `size` at tmp_path/name (root can mount one here; elsewhere the test is skipped)."""
    mount = tmp_path / name
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 3 MB tmpfs."""
    yield from _tmpfs(tmp_path, "disk", "3m")


def _qa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=600,
                          cwd=PROJECT_ROOT, env={**os.environ, "NO_COLOR": "1"})


def test_a_full_disk_and_a_read_only_index_say_what_they_are_and_never_advise_deleting(
        small_disk: Path, tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.mkdir()
    for n in range(6):  # more text than the disk holds, as vectors and BM25
        (big / f"wall-{n}.txt").write_text(HARBOUR + "The wall was tall and long and old. " * 2000, encoding="utf-8")
    full = _qa("ingest", str(big), "--index", str(small_disk / "index"))
    assert full.returncode != 0 and "Traceback" not in full.stderr
    assert f"disk full at {small_disk / 'index'}" in full.stderr and "delete" not in full.stderr

    subprocess.run(["umount", "-l", str(small_disk)], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(small_disk)], check=True)
    built = _qa("ingest", str(PROJECT_ROOT / "corpus"), "--index", str(small_disk / "index"))
    assert built.returncode == 0, built.stderr
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    refused = _qa("ingest", str(big), "--index", str(small_disk / "index"))
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert f"index at {small_disk / 'index'} is read-only" in refused.stderr and "delete" not in refused.stderr


def test_a_folder_moved_away_is_an_error_that_removes_nothing(tmp_path: Path, encoder: SentenceEncoder) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    index = tmp_path / "index"
    assert _qa("ingest", str(folder), "--index", str(index)).returncode == 0
    held = Store(Settings(index=str(index))).count()
    folder.rename(tmp_path / "moved")  # `mv docs moved`, then the old command again
    again = _qa("ingest", str(folder), "--index", str(index))
    assert again.returncode != 0 and "Traceback" not in again.stderr
    assert again.stderr.strip().endswith("no such file or folder; nothing was indexed or removed (check the path)")
    assert held > 0 and Store(Settings(index=str(index))).count() == held, "nothing indexed was removed"


def test_a_second_ingest_waits_for_the_one_writing_and_says_so(tmp_path: Path, encoder: SentenceEncoder) -> None:
    import threading

    from index.locking import writer_lock

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    said: list[str] = []
    done = threading.Event()

    def second() -> None:
        ingest([folder], settings, encoder, waiting=said.append)
        done.set()

    with writer_lock(settings):  # an ingest is writing
        worker = threading.Thread(target=second)
        worker.start()
        assert not done.wait(1.5), "the second ingest must not write while the first does"
        assert said and "another ingest" in said[0] and f"pid {os.getpid()}" in said[0]
        assert str(settings.index) in said[0]
    worker.join(60)
    assert done.is_set() and Store(settings).count() > 0


def test_two_ingests_at_once_into_one_index_lose_no_chunk(tmp_path: Path) -> None:
    # issue 15 item 1: one ingest's orphan sweep deleted the other's stored chunks, for good
    small = harbour_walls(tmp_path / "small", 12)
    index = tmp_path / "index"
    env = {**os.environ, "NO_COLOR": "1", "QA_INGEST_WINDOW": "1"}
    runs = [subprocess.Popen([sys.executable, "-m", "cli", "ingest", str(folder), "--index", str(index)],
                             cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for folder in (small, PROJECT_ROOT / "corpus")]
    results = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    assert not any("Traceback" in err for _, err in results)
    store = Store(Settings(index=str(index)))
    records = store.file_records()
    assert len(records) == 12 + len(list((PROJECT_ROOT / "corpus").glob("*.txt")))
    assert store.count() == sum(r.chunks for r in records.values()), "every file's chunks are all there"
    again = _qa("ingest", str(small), str(PROJECT_ROOT / "corpus"), "--index", str(index))
    assert again.returncode == 0 and "0 chunks embedded" in again.stdout


KILL_AFTER_AN_ASK = """
import os, sys
from pathlib import Path
from index.embedding import Encoder
from index.ingest import ingest
from config.settings import Settings
from qa.engine import Assistant

folder, index = Path(sys.argv[1]), sys.argv[2]
settings = Settings(index=index, ingest_window=1)
encoder = Encoder()
windows = []

def progress(done, total):
    windows.append(done)
    if len(windows) == 4:  # an ask while the ingest writes
        Assistant.open(settings, encoder).ask("when was the wall rebuilt?")
    if len(windows) == 12:  # kill -9, later in the same ingest
        os._exit(9)

ingest([folder], settings, encoder, progress=progress)
"""


def test_an_ask_during_an_ingest_never_leaves_bm25_stale(tmp_path: Path) -> None:
    # issue 15 item 2: the ask saved BM25 under the ingest's new generation, and a kill kept it for good
    from index.lexical import LexicalIndex, bm25_dir

    folder = harbour_walls(tmp_path / "docs", 16)
    index = tmp_path / "index"
    killed = subprocess.run([sys.executable, "-c", KILL_AFTER_AN_ASK, str(folder), str(index)], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == 9, killed.stderr
    assert _qa("ingest", str(folder), "--index", str(index)).returncode == 0
    settings = Settings(index=str(index))
    lexical = LexicalIndex.load(bm25_dir(settings))
    assert lexical is not None and sorted(lexical.ids) == sorted(Store(settings).chunk_ids())


def test_a_file_name_that_is_not_utf8_is_named_and_the_files_beside_it_are_indexed(
        tmp_path: Path, encoder: SentenceEncoder) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    odd = os.fsencode(folder) + b"/caf\xe9.txt"  # a Latin-1 name, as old archives carry
    with open(odd, "wb") as handle:
        handle.write(b"The cafe opened in 1931.\n")
    report = ingest([folder], Settings(index=str(tmp_path / "index")), encoder)
    assert [Path(p).name for p in report.added] == ["harbour.txt"]
    assert [p.kind for p in report.skipped] == ["name not UTF-8"] and "caf\\xe9.txt" in str(report.skipped[0])
    shown = _qa("ingest", str(folder), "--index", str(tmp_path / "index2"))
    assert shown.returncode == 0 and "Traceback" not in shown.stderr
    assert "caf\\xe9.txt: its name is not UTF-8" in shown.stderr


def test_utf16_text_with_a_byte_order_mark_is_read_and_quoted_verbatim(tmp_path: Path,
                                                                    encoder: SentenceEncoder) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    path = folder / "harbour.txt"
    path.write_bytes(HARBOUR.encode("utf-16"))  # as Windows' Notepad saves "Unicode"
    settings = Settings(index=str(tmp_path / "index"))
    report = ingest([folder], settings, encoder)
    assert report.added and not report.skipped
    answer = Assistant.open(settings, encoder).ask("when was the harbour wall rebuilt?")
    text = path.read_bytes().decode("utf-16")
    first = answer.passages[0]
    assert "1998" in first.text and first.text == text[first.citation.start : first.citation.end]
    assert not answer.stale


def test_a_team_sharing_one_index_each_reads_sources_from_their_own_copy(tmp_path: Path,
                                                                       encoder: SentenceEncoder) -> None:
    # issue 15 item 8: sources were stored as the ingesting machine's absolute paths
    import shutil

    mine, yours = tmp_path / "alice" / "corpus", tmp_path / "bob" / "work" / "corpus"
    for copy in (mine, yours):
        copy.parent.mkdir(parents=True)
        shutil.copytree(PROJECT_ROOT / "corpus", copy)
    index = str(tmp_path / "shared-index")
    ingest([mine], Settings(index=index, root=str(mine.parent)), encoder)

    theirs = Settings(index=index, root=str(yours.parent))
    answer = Assistant.open(theirs, encoder).ask("when were the migration talks suspended?")
    assert not answer.stale and answer.passages
    for passage in answer.passages:
        path = Path(passage.citation.path)
        assert yours in path.parents, "cited from this machine's copy"
        assert passage.text == path.read_text(encoding="utf-8")[passage.citation.start : passage.citation.end]
    again = ingest([yours], theirs, encoder)
    assert again.chunks_embedded == 0 and not again.removed, "the same files, so nothing to redo"

    unmapped = _qa("ask", "when were the talks suspended?", "--index", index)
    assert unmapped.returncode != 0 and "Traceback" not in unmapped.stderr
    assert "stores file paths relative to a corpus root: set --root or QA_ROOT" in unmapped.stderr


@pytest.fixture
def roomy_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 MB tmpfs, to be shrunk under an index."""
    yield from _tmpfs(tmp_path, "roomy", "64m")


def test_an_index_whose_disk_fills_up_says_disk_full_and_answers_again_once_there_is_room(
        roomy_disk: Path, tmp_path: Path) -> None:
    # issue 15 (qa bench faults): Chroma's Rust layer reports a full disk as "Error in compaction: Failed
    # to apply logs to the metadata segment", which was shown as "unexpected error: InternalError ..."
    index = roomy_disk / "index"
    assert _qa("ingest", str(PROJECT_ROOT / "corpus"), "--index", str(index)).returncode == 0
    stat = os.statvfs(roomy_disk)
    used_mb = 1 + (stat.f_blocks - stat.f_bfree) * stat.f_frsize // 1_000_000
    subprocess.run(["mount", "-o", f"remount,size={used_mb + 1}m", str(roomy_disk)], check=True)
    big = tmp_path / "big"
    big.mkdir()
    for n in range(30):
        (big / f"wall-{n}.txt").write_text(HARBOUR + f"The wall was rebuilt in {1900 + n} by workers. " * 150,
                                           encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1", "QA_INGEST_WINDOW": "8"}  # the disk fills between two windows
    full = subprocess.run([sys.executable, "-m", "cli", "ingest", str(big), "--index", str(index)],
                          capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT, env=env)
    said = f"qa: disk full at {index}: free some space and run the command again; the index is intact"
    assert full.returncode != 0 and full.stderr.strip() == said, full.stderr
    asked = _qa("ask", "--index", str(index), "when was the harbour wall rebuilt?")
    assert asked.returncode == 0 or asked.stderr.strip() == said, asked.stderr
    subprocess.run(["mount", "-o", "remount,size=256m", str(roomy_disk)], check=True)
    assert _qa("ingest", str(big), "--index", str(index)).returncode == 0
    answer = _qa("ask", "--index", str(index), "when was the harbour wall rebuilt?")
    assert answer.returncode == 0 and "1998" in answer.stdout


def test_a_bm25_manifest_read_while_an_ingest_saves_never_pairs_with_another_segments_files(tmp_path: Path) -> None:
    # issue 15 (qa bench faults, an ask looping beside an ingest): a merged segment was saved under the
    # name of one it replaced, so the manifest an ask had just read named files of other content:
    # "IndexError: boolean index did not match indexed array" on the question path
    from index.lexical import MANIFEST, LexicalIndex

    folder = tmp_path / "bm25"
    first = [f"wall-{n}" for n in range(3)]
    lexical = LexicalIndex.build(first, [f"the harbour wall was rebuilt in {1990 + n}" for n in range(3)], "g1")
    lexical.save(folder)
    read_by_an_ask = (folder / MANIFEST).read_text()
    lexical.add([f"storm-{n}" for n in range(5)], [f"the storm of {1980 + n} broke it" for n in range(5)])
    assert len(lexical.segments) == 1, "the new segment is merged with the first"
    lexical.save(folder)
    (folder / MANIFEST).write_text(read_by_an_ask)  # as the ask, or a kill before the rename, sees it
    loaded = LexicalIndex.load(folder)
    if loaded is not None:  # the old manifest may only name what it named, with the same content
        assert sorted(loaded.ids) == first and len(loaded.get_scores(["harbour"])) == 3


def test_a_chunk_deleted_by_an_ingest_between_search_and_read_is_left_out(tmp_path: Path,
                                                                          encoder: SentenceEncoder) -> None:
    # the faults suite: 1 ask in 50-70 during an ingest failed with "Error finding id"
    _, _, settings = harbour_index(tmp_path, encoder)
    store = Store(settings)
    ids = store.chunk_ids()
    real_get = store.chunks.get

    def get_as_chroma_does_mid_delete(*args, **kwargs):  # type: ignore[no-untyped-def]
        if len(kwargs.get("ids") or []) > 1:
            raise RuntimeError("Error executing plan: Internal error: Error finding id")
        return real_get(*args, **kwargs)

    store.chunks.get = get_as_chroma_does_mid_delete  # type: ignore[method-assign]
    got = store.present([*ids, "deleted-meanwhile"], ["embeddings"])
    assert got["ids"] == ids and len(got["embeddings"]) == len(ids)
