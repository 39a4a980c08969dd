"""No file can stop, hang or flood an ingest, and no document can drive the terminal (issue 24): each
test failed before its fix. The files are evals/fault_hostile.py's, which `qa bench faults` uses too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.errors import known_failure
from config.settings import PROJECT_ROOT, Settings
from evals.fault_hostile import (
    ESCAPES,
    MATH_PDF,
    raw_controls,
    write_broken_docx,
    write_form_pdf,
    write_good_files,
    write_long_line,
    write_special_files,
)
from index.documents.formats.pdf import extract_pdf
from index.encoder_protocol import SentenceEncoder
from index.ingest import ingest
from index.store import Store

QA = [sys.executable, "-c", "import sys; from cli import main; sys.exit(main())"]
HANG = 240  # seconds after which a command is taken to hang (a guard, not a measure of speed)


def run_qa(*args: str, cwd: Path = PROJECT_ROOT, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run([*QA, *args], capture_output=True, text=True, cwd=cwd, timeout=HANG, input=stdin,
                          env=environment)


def test_a_chromium_pdf_of_mathematical_letters_indexes_whole(tmp_path: Path, encoder: SentenceEncoder) -> None:
    """PDFium gives 𝑥 as two UTF-16 code units: the tokenizer refused the text and the ingest ended."""
    extracted = extract_pdf(MATH_PDF, 10**6)
    assert "𝑓(𝑎𝑥 + 𝑏𝑦) = 𝑎𝑓(𝑥) + 𝑏𝑓(𝑦)" in extracted.text
    assert not any("\ud800" <= ch <= "\udfff" for ch in extracted.text)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "maps.pdf").write_bytes(MATH_PDF.read_bytes())
    report = ingest([folder], Settings(index=str(tmp_path / "index")), encoder)
    assert report.added == [str(folder / "maps.pdf")] and not report.skipped


def test_broken_word_files_are_named_and_the_good_files_beside_them_indexed(tmp_path: Path,
                                                                          encoder: SentenceEncoder) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    write_broken_docx(folder, bomb_mb=8)
    write_good_files(folder)
    settings = Settings(index=str(tmp_path / "index"), max_file_mb=0.1)  # the bomb's XML: 8 MB, limit 4 MB
    report = ingest([folder], settings, encoder)
    assert sorted(Path(p).name for p in report.added) == [*(f"bridge-{n}.txt" for n in range(1, 6)), "report.docx"]
    skipped = {Path(problem.path).name: str(problem) for problem in report.skipped}
    assert set(skipped) == {"cut-xml.docx", "laughs.docx", "bomb.docx", *(f"flipped-{n}.docx" for n in range(5))}
    assert "unpacks to 9 MB" in skipped["bomb.docx"] and "declares XML entities" in skipped["laughs.docx"]
    assert all("skipped (" in line for line in skipped.values())
    again = ingest([folder], settings, encoder)  # tried again, and again named
    assert len(again.skipped) == 8 and len(again.unchanged) == 6


def test_a_file_that_fails_in_a_way_no_rule_foresaw_skips_only_itself(tmp_path: Path,
                                                                      encoder: SentenceEncoder) -> None:
    """Word XML cut in half raised lxml's XMLSyntaxError through python-docx; any such error is the file's."""
    folder = tmp_path / "docs"
    folder.mkdir()
    write_good_files(folder, 2)
    (folder / "notes.md").write_text("# Notes\n\nThe tide table was printed in 2020 by the harbour office.\n")
    settings = Settings(index=str(tmp_path / "index"))

    from index import ingest as ingesting

    real = ingesting.chunk_document

    def failing(document, *args):  # type: ignore[no-untyped-def]
        if document.path.name == "notes.md":
            raise RuntimeError("the chunker met something new")
        return real(document, *args)

    ingesting.chunk_document = failing
    try:
        report = ingest([folder], settings, encoder)
    finally:
        ingesting.chunk_document = real
    assert len(report.added) == 2
    [problem] = report.skipped
    assert str(problem).startswith(f"{problem.path}: could not be read (RuntimeError: the chunker met something new)")


def test_fifos_devices_and_links_out_of_the_folder_are_skipped_by_what_they_are(tmp_path: Path,
                                                                                corpus_settings: Settings) -> None:
    """A FIFO named .txt blocked the ingest forever, holding the writer lock; so did a link to
    /dev/zero; /etc/passwd behind a link was indexed and quoted."""
    folder = tmp_path / "docs"
    folder.mkdir()
    write_special_files(folder)
    write_good_files(folder, 1)
    index = str(tmp_path / "index")
    result = run_qa("ingest", str(folder), "--index", index)
    assert result.returncode == 0, result.stderr
    assert "pipe.txt: a FIFO (named pipe), not a file, skipped" in result.stderr
    assert "passwd.txt: a link to /etc/passwd, outside the folders named, skipped (name that folder too, or pass " \
           "--follow-links)" in result.stderr
    assert "1 added" in result.stdout and "3 skipped" in result.stdout
    followed = run_qa("ingest", str(folder), "--index", index, "--follow-links")
    assert "zero.txt: a device, not a file, skipped" in followed.stderr
    assert "1 added" in followed.stdout  # passwd.txt: asked for
    sources = set(Store(Settings(index=index)).file_records())
    assert str(folder / "passwd.txt") in sources and str(folder / "zero.txt") not in sources


def test_a_line_of_four_megabytes_is_read_in_linear_time(tmp_path: Path) -> None:
    """A 14 KB line took 72 s (the attribution pattern backtracked over every word); 4 MB never ended."""
    path = tmp_path / "long.txt"
    write_long_line(path, 4.0)
    code = ("import sys; from index.documents.chunking import prose_blocks, split_sentences; "
            "text = open(sys.argv[1], encoding='utf-8').read(); "
            "print(len(prose_blocks(text)), len(split_sentences(text, 0, len(text), None)))")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=HANG,
                            cwd=PROJECT_ROOT)
    assert result.returncode == 0 and result.stdout.split() == ["0", "1"], result.stderr  # not prose; one sentence


def test_a_pdf_whose_pages_share_one_layout_keeps_its_text(tmp_path: Path) -> None:
    """Every line repeats on every page, digits aside: all were taken for running headers ("empty file")."""
    path = tmp_path / "forms.pdf"
    write_form_pdf(path, 300)
    text = extract_pdf(path, 10**7).text
    assert "The pump at station 299 was inspected and delivered 2093 litres a minute." in text


def test_no_document_file_name_or_citation_drives_the_terminal(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "escapes.txt").write_text(ESCAPES, encoding="utf-8")
    (folder / "tide\x1b[2J.txt").write_text("Tides\n\nThe tide table was printed in 2020 by the harbour office.\n")
    index = str(tmp_path / "index")
    outputs = [run_qa("ingest", str(folder), "--index", index, "-v"),
               run_qa("ask", "when was the harbour wall rebuilt?", "--index", index, cwd=folder),
               run_qa("ask", "who rang the bell?", "--index", index, cwd=folder),
               run_qa("show", "escapes.txt:1", "--index", index, cwd=folder),
               run_qa("show", "escapes.txt:3", "--index", index, cwd=folder),
               run_qa("show", "nowhere\x1b]0;owned\x07.txt:1", "--index", index, cwd=folder)]
    for result in outputs:
        assert raw_controls(result.stdout + result.stderr) == 0, (result.args, result.stdout, result.stderr)
    assert "tide␛[2J.txt" in outputs[0].stdout and "Harbour notes␛]0;owned␇" in outputs[3].stdout
    assert "The harbour wall was rebuilt in **1998**" in outputs[1].stdout
    assert "nowhere␛]0;owned␇.txt is not in the index" in outputs[5].stderr
    # JSON is data: the document's text as it is, escaped by JSON itself
    answer = json.loads(run_qa("ask", "when was the harbour wall rebuilt?", "--json", "--index", index,
                               cwd=folder).stdout)
    passage = next(p for p in answer["passages"] if p["source"] == "escapes.txt")
    assert passage["text"] == ESCAPES[passage["start"] : passage["end"]] and "\x1b[2J" in passage["text"]


def test_a_json_batch_gives_a_line_for_every_line_with_the_question_as_given(corpus_settings: Settings) -> None:
    stdin = "  when were   talks suspended?\n\n \u2028 \nwho led the 2022 talks?\n\t\n"
    result = run_qa("ask", "--json", "--index", corpus_settings.index, stdin=stdin)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == ["  when were   talks suspended?", "", " \u2028 ",
                                                    "who led the 2022 talks?", "\t"]
    assert ["error" in line for line in lines] == [False, True, True, False, True]
    assert result.returncode == 0, "blank lines are no failed questions"


def test_qa_show_refuses_what_does_not_exist_and_finds_hidden_folders(tmp_path: Path, encoder: SentenceEncoder,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.show import BadCitation, show

    hidden = tmp_path / "project" / ".notes"
    hidden.mkdir(parents=True)
    note = hidden / "tides.txt"
    note.write_text("Tides\n\nThe tide table was printed in 2020 by the harbour office.\n", encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest([note], settings, encoder)
    store = Store(settings)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    shown = show(".notes/tides.txt:3", store)  # "./" stripping made it "notes/tides.txt"
    assert shown.heading.endswith("tides.txt · tides") and any("tide table" in line for line in shown.lines)
    with pytest.raises(BadCitation, match="is not in the index"):
        show("../tides.txt:3", store)  # another file than the one indexed: not found by its name's end
    monkeypatch.chdir(hidden)
    with pytest.raises(BadCitation, match=r"has no pages: cite its line alone, tides.txt:3"):
        show("tides.txt:p0:3", store)


def test_an_index_folder_deleted_mid_ingest_is_said_to_be_gone_and_not_made_again(
        tmp_path: Path, encoder: SentenceEncoder) -> None:
    import shutil

    folder = tmp_path / "docs"
    folder.mkdir()
    write_good_files(folder, 3)
    index = tmp_path / "index"
    settings = Settings(index=str(index), ingest_window=1)
    with pytest.raises(Exception) as raised:
        ingest([folder], settings, encoder, progress=lambda done, total: done and shutil.rmtree(index, True))
    said = str(known_failure(raised.value, str(index)))
    assert said == f"index folder {index} was deleted while in use: run `qa ingest` to build it again", said
    assert not index.exists(), "a killed ingest made the folder again, holding only bm25/"


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def test_a_read_only_or_full_index_is_asked_without_writing(tmp_path: Path, corpus_settings: Settings) -> None:
    """Chroma writes as it opens: a read-only mount said "attempt to write a readonly database", a full
    disk "disk full"."""
    import shutil

    read_only = tmp_path / "read-only"
    read_only.mkdir()
    if not (_mount("--bind", corpus_settings.index, str(read_only))
            and _mount("-o", "remount,bind,ro", str(read_only))):
        subprocess.run(["umount", str(read_only)], capture_output=True)
        pytest.skip("mounting needs root")
    full = tmp_path / "full"
    full.mkdir()
    try:
        size = sum(f.stat().st_size for f in Path(corpus_settings.index).rglob("*") if f.is_file())
        assert _mount("-t", "tmpfs", "-o", f"size={size + 4_000_000}", "tmpfs", str(full))
        shutil.copytree(corpus_settings.index, full / "index")
        with open(full / "filler", "wb") as filler, pytest.raises(OSError):  # the disk filled to its last byte
            while True:
                filler.write(b"\0" * 65536)
        for index in (read_only, full / "index"):
            before = sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in index.rglob("*"))
            result = run_qa("ask", "when were talks suspended?", "--index", str(index))
            assert result.returncode == 0 and "suspended in **2003**" in result.stdout, result.stderr
            assert sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in index.rglob("*")) == before
    finally:
        subprocess.run(["umount", str(read_only)], capture_output=True)
        subprocess.run(["umount", str(full)], capture_output=True)
