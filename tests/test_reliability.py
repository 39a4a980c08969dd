"""Nothing indexed is lost, nothing misquoted (issue 15): each test failed before its fix."""

from __future__ import annotations

import os
from pathlib import Path

from index.encoder_protocol import SentenceEncoder
from index.ingest import ingest
from index.settings import Settings
from qa.engine import Assistant

HARBOUR = (
    "The Harbour Wall\n\n"
    "The harbour wall was rebuilt in 1998 by four hundred workers from the town. "
    "It had been broken by the storm of 1994.\n"
)


def test_a_same_size_edit_that_keeps_the_mtime_is_never_quoted_as_it_was(tmp_path: Path,
                                                                         encoder: SentenceEncoder) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    path = folder / "harbour.txt"
    path.write_text(HARBOUR, encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest([folder], settings, encoder)
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
    from qa.cli import Style, render_answer

    folder = tmp_path / "docs"
    folder.mkdir()
    path = folder / "harbour.txt"
    path.write_text(HARBOUR, encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest([folder], settings, encoder)
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    assert ingest([folder], settings, encoder).skipped, "the ingest names it and keeps what it had"
    answer = Assistant.open(settings, encoder).ask("when was the harbour wall rebuilt?")
    shown = render_answer(answer, Style(open(os.devnull, "w")), 100)  # noqa: SIM115
    assert "can no longer be read (binary file, not text)" in shown and "remove it and run `qa ingest`" in shown
    assert "run `qa ingest` to refresh it" not in shown


def test_linked_folders_are_read_and_link_loops_are_named(tmp_path: Path, encoder: SentenceEncoder) -> None:
    folder, elsewhere = tmp_path / "docs", tmp_path / "elsewhere"
    (folder / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    (elsewhere / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    (folder / "linked").symlink_to(elsewhere, target_is_directory=True)  # a folder of the corpus kept elsewhere
    (folder / "sub" / "up").symlink_to(folder, target_is_directory=True)  # a loop back to the top
    (folder / "a.txt").symlink_to(folder / "b.txt")
    (folder / "b.txt").symlink_to(folder / "a.txt")
    report = ingest([folder], Settings(index=str(tmp_path / "index")), encoder)
    assert [Path(p).name for p in report.added] == ["harbour.txt"], "the linked folder's file is indexed"
    problems = {Path(p.path).name: str(p) for p in report.skipped}
    assert set(problems) == {"a.txt", "b.txt", "up"}
    assert all("link" in line and "permissions" not in line for line in problems.values())
