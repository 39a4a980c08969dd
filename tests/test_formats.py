"""HTML, PDF, Word and Markdown files made by real tools: canonical text, pages, furniture, skips."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from config.settings import Settings
from index.documents.chunking import document_blocks, document_chunks
from index.documents.read import read_document, skip_summary
from index.documents.sentences import split_sentences
from index.ingest import ingest
from index.store import Store
from qa.engine import Assistant
from qa.show import show
from qa.sources import load_source
from tests.conftest import assistant_over
from tests.made_files import (
    BROKEN_SENTENCE,
    DATA,
    FOOTER_URL,
    HEADER,
    PAGE_THREE_SENTENCE,
    make_drawing_pdf,
    make_encrypted_pdf,
    make_gaps_pdf,
    make_memo_docx,
    make_report_pdf,
)
from tests.test_cli import run_qa
from tests.test_server import chroma_server as chroma_server  # a real `chroma run`, as a fixture


def assert_verbatim(extracted, spans) -> None:  # type: ignore[no-untyped-def]
    """Every span is a slice of the canonical text, inside it."""
    for span, _title in spans:
        assert 0 <= span.start < span.end <= len(extracted.text)
        assert extracted.text[span.start : span.end].strip() == extracted.text[span.start : span.end]


def sentences(extracted) -> list[str]:  # type: ignore[no-untyped-def]
    return [extracted.text[s.start : s.end] for b in document_blocks(extracted)
            for s in split_sentences(extracted.text, b.start, b.end)]


@pytest.fixture
def report_pdf(tmp_path: Path) -> Path:
    path = tmp_path / "report.pdf"
    make_report_pdf(path)
    return path


def test_a_saved_book_page_is_titled_by_its_own_title_not_the_books_menu() -> None:
    """An mdBook page (the Rust Book as rustup installs it): its menu's <h1> is the book's name, which
    trafilatura took for every page's title; the page's <title> names the chapter."""
    extracted = read_document(DATA / "rust-book-ch04-03-slices.html", 10**7).extracted
    assert extracted.title == "The Slice Type - The Rust Programming Language"


def test_html_gives_the_main_text_titled_by_the_page_and_no_furniture() -> None:
    document = read_document(DATA / "bridge-news.html", 10**7)
    extracted = document.extracted
    assert extracted.title.startswith("Harbour bridge to close for repairs")
    assert document.extractor.startswith("html/4 trafilatura==")
    chunks = document_chunks(extracted, "bridge-news")
    assert_verbatim(extracted, chunks)
    texts = [extracted.text[s.start : s.end] for s, _ in chunks]
    assert any("Buses will be diverted over the old stone bridge" in t for t in texts)
    for furniture in ("cookie", "Local news and events", "Most read", "newsletter", "Copyright", "dataLayer",
                      "news@riverton", "comment widget", "bakery"):
        assert all(furniture not in t for t in texts), furniture
    assert {title for _, title in chunks} >= {"Harbour bridge to close for repairs › Diversions"}


def test_pdf_pages_running_furniture_and_a_sentence_across_the_page_break(report_pdf: Path) -> None:
    document = read_document(report_pdf, 10**7)
    extracted = document.extracted
    assert document.extractor.startswith("pdf/4 pypdfium2==") and len(extracted.pages) == 3
    chunks = document_chunks(extracted, "report")
    assert_verbatim(extracted, chunks)
    for furniture in (HEADER, FOOTER_URL, "1/3", "2/3", "3/3", "riverton.example"):
        assert furniture not in extracted.text
    # the sentence broken by the page is one sentence of the canonical text, starting on page 1
    assert BROKEN_SENTENCE in sentences(extracted)
    start = extracted.text.index(BROKEN_SENTENCE)
    assert extracted.page_of(start) == 1 and extracted.page_of(extracted.text.index("postpone the vote")) == 2
    # a known sentence on page 3, cited with its page and its line on that page (the header is line 1)
    known = load_source(str(report_pdf))
    offset = known.text.index(PAGE_THREE_SENTENCE)
    citation = known.citation("report.pdf", str(report_pdf), offset, offset + len(PAGE_THREE_SENTENCE))
    assert citation.page == 3 and citation.line == 5 and citation.label == "report.pdf:p3:5"
    assert {title for _, title in chunks} >= {"Harbour Bridge Annual Report 2024 › Closure"}
    assert read_document(report_pdf, 10**7).text == extracted.text  # deterministic


def test_docx_paragraphs_and_headings(tmp_path: Path) -> None:
    path = tmp_path / "memo.docx"
    make_memo_docx(path)
    extracted = read_document(path, 10**7).extracted
    assert extracted.title == "Bridge closure memo"
    assert [(extracted.text[h.start : h.end], h.level) for h in extracted.headings] == [
        ("Bridge closure memo", 1), ("Costs", 1), ("Staffing", 1)]
    chunks = document_chunks(extracted, "memo")
    assert_verbatim(extracted, chunks)
    titled = {extracted.text[s.start : s.end]: title for s, title in chunks}
    costs = next(text for text in titled if "2.4 million pounds" in text)
    assert titled[costs] == "Bridge closure memo › Costs" and costs.startswith("Costs")


def test_markdown_headings_are_structure_and_title_their_passages() -> None:
    extracted = read_document(DATA / "releases.md", 10**7).extracted
    chunks = document_chunks(extracted, "releases")
    assert_verbatim(extracted, chunks)
    by_title = {title: extracted.text[s.start : s.end] for s, title in chunks}
    section = by_title["Changelog › Version 1.0.0 (2015-05-15)"]
    assert section.startswith("Version 1.0.0 (2015-05-15)") and "First stable release." in section
    assert "Version 1.0.0 (2015-05-15)" in sentences(extracted)
    assert all("pip install" not in text for text in by_title.values())  # code is not prose


def test_bad_documents_are_one_line_each_and_named_in_the_summary(
    tmp_path: Path, report_pdf: Path, encoder  # type: ignore[no-untyped-def]
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("The harbour bridge was closed for repairs in March 2019 by the council.\n")
    settings = Settings(index=str(tmp_path / "index"))
    before = ingest([folder], settings, encoder).chunks_total
    make_drawing_pdf(folder / "drawing.pdf")
    make_encrypted_pdf(report_pdf, folder / "locked.pdf")
    (folder / "cut.pdf").write_bytes(report_pdf.read_bytes()[: report_pdf.stat().st_size // 2])
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 this is not a whole zip file")
    (folder / "slides.pptx").write_bytes(b"PK\x03\x04 slides")
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    report = ingest([folder], settings, encoder)
    messages = {Path(p.path).name: str(p) for p in report.skipped}
    assert "no text layer" in messages["drawing.pdf"] and "OCR it first" in messages["drawing.pdf"]
    assert "encrypted" in messages["locked.pdf"]
    assert "truncated" in messages["cut.pdf"]
    assert "not a readable .docx" in messages["broken.docx"]
    assert "unsupported format .pptx" in messages["slides.pptx"] and "not text" in messages["photo.png"]
    assert all("\n" not in m for m in messages.values())
    assert report.chunks_total == before and report.unchanged == [str(folder / "notes.txt")]
    summary = skip_summary(report.skipped)
    assert summary.startswith("skipped 6: ")
    for part in ("1 .pptx (unsupported format)", "1 .png (not text)", "1 .pdf (no text layer)",
                 "1 .pdf (encrypted)", "1 .pdf (truncated)", "1 .docx (corrupt)"):
        assert part in summary


def test_a_pdf_sentence_broken_at_a_wide_line_gap_is_shown_whole(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """A passage does not stop where the text extracted from a PDF breaks a sentence ("To tell the two kinds
    apart," / "isvoid(x) is only true for voids."): it shows the sentence to its end."""
    folder = tmp_path / "docs"
    folder.mkdir()
    make_gaps_pdf(folder / "gaps.pdf")
    settings = Settings(index=str(tmp_path / "index"))
    ingest([folder], settings, encoder)
    first = Assistant.open(settings, encoder=encoder).ask("what does isgap(x) tell me?", top_k=3).passages[0]
    shown = " ".join(first.text.split())
    assert shown.startswith("In summary, isgap(x) is true both for gaps and for voids.")
    assert "To tell the two kinds apart, isvoid(x) is only true for voids." in shown


SERIES_HTML = """<html><head><title>Series functions</title></head><body>
<h1>Series functions</h1>
<h2>Appending</h2>
<p>A series can grow at either end. To add a reading at the end of a series, call append_reading() with the
position "#". Examples:
<ul>
<li><span class='ex'>append_reading('[1,2,3]','#',9)</span>
<span class='ans'>&rarr; '[1,2,3,9]'</span></li>
<li><span class='ex'>append_reading('[1,[2,3]]','1#',9)</span>
<span class='ans'>&rarr; '[1,[2,3,9]]'</span></li>
</ul>
<h2>Trimming</h2>
<p>The trim function drops readings from the start of a series.</p>
</body></html>
"""


def test_a_sentence_that_ends_in_a_colon_brings_the_examples_after_it(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """"Examples:" closing a paragraph brings the examples that follow it, though they are code, not prose."""
    assistant, _ = assistant_over(tmp_path, encoder, {"series.html": SERIES_HTML})
    first = assistant.ask("how do I add a reading to the end of a series?", top_k=3).passages[0]
    shown = " ".join(first.text.split())
    assert shown.startswith("To add a reading at the end of a series")
    assert shown.endswith("Examples: • append_reading('[1,2,3]','#',9) → '[1,2,3,9]' "
                          "• append_reading('[1,[2,3]]','1#',9) → '[1,[2,3,9]]'")


def test_extracted_text_over_the_limit_is_refused_whatever_the_size_on_disk(report_pdf: Path) -> None:
    from config.errors import UnreadableFile

    assert report_pdf.stat().st_size > 1500
    with pytest.raises(UnreadableFile, match="extracted text too large"):
        read_document(report_pdf, 1500)


def test_a_mixed_folder_answers_with_page_citations_and_qa_show(tmp_path: Path, report_pdf: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(report_pdf, folder / "report.pdf")
    shutil.copy(DATA / "bridge-news.html", folder)
    shutil.copy(DATA / "releases.md", folder)
    make_memo_docx(folder / "memo.docx")
    make_drawing_pdf(folder / "drawing.pdf")
    (folder / "slides.pptx").write_bytes(b"PK\x03\x04 slides")
    index = str(tmp_path / "index")
    result = run_qa("ingest", str(folder), "--index", index, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "4 added" in result.stdout
    assert "Skipped 2: 1 .pdf (no text layer), 1 .pptx (unsupported format)" in result.stdout
    assert result.stderr.count("\n") == 1 and "drawing.pdf: no text layer" in result.stderr  # the pptx: counted
    listed = run_qa("ingest", str(folder), "--index", index, "--verbose", cwd=tmp_path)
    assert "unchanged mixed/report.pdf" in " ".join(listed.stdout.split()) and "4 unchanged" in listed.stdout
    assert "slides.pptx: unsupported format .pptx" in listed.stderr
    asked = run_qa("ask", "--json", "--index", index, cwd=tmp_path,
                   stdin="when will the vote on the new toll take place?\nhow much will the repairs cost?\n")
    first, second = (json.loads(line) for line in asked.stdout.splitlines())
    passage = first["passages"][0]
    assert passage["source"] == "mixed/report.pdf" and passage["page"] == 1 and BROKEN_SENTENCE in passage["text"]
    assert load_source(str(folder / "report.pdf")).text[passage["start"] : passage["end"]] == passage["text"]
    assert second["passages"][0]["source"] == "mixed/memo.docx" and second["passages"][0]["page"] is None
    shown = run_qa("show", f"mixed/report.pdf:p{passage['page']}:{passage['line']}", "--index", index, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "──── page 2 ────" in shown.stdout and "> The committee decided" in shown.stdout
    past = run_qa("show", "mixed/report.pdf:p1:99", "--index", index, cwd=tmp_path)
    assert past.returncode == 1 and "has no page 1, line 99" in past.stderr
    # a file changed since indexing is reported stale, never misquoted
    make_report_pdf(folder / "report.pdf")
    (folder / "report.pdf").write_bytes((folder / "report.pdf").read_bytes() + b"\n% edited\n")
    stale = run_qa("show", f"mixed/report.pdf:p{passage['page']}:{passage['line']}", "--index", index, cwd=tmp_path)
    assert stale.returncode == 1 and "changed since it was indexed" in stale.stderr


def test_qa_show_through_a_chroma_server_with_and_without_the_file(
    chroma_server: str, report_pdf: Path, encoder  # type: ignore[no-untyped-def]
) -> None:
    settings = Settings(index=chroma_server)
    ingest([report_pdf], settings, encoder)
    shown = show("report.pdf:p3:5", Store(settings))
    assert shown.heading.startswith("report.pdf") or "report.pdf" in shown.heading
    assert PAGE_THREE_SENTENCE in shown.cited
    report_pdf.unlink()  # as on a teammate's machine: the index still shows what it holds
    shown = show("report.pdf:p3:5", Store(settings))
    assert "not on this machine" in shown.heading and any("ferry" in line for line in shown.lines)
    answer = Assistant.open(settings, encoder).ask("how many passengers did the ferry carry?")
    assert answer.stale and not answer.passages  # never quoted from a file that is not there


def test_a_new_extractor_version_re_extracts_and_an_unchanged_file_costs_a_hash(
    tmp_path: Path, report_pdf: Path, encoder  # type: ignore[no-untyped-def]
) -> None:
    from index.store import FileRecord

    settings = Settings(index=str(tmp_path / "index"))
    first = ingest([report_pdf], settings, encoder)
    store = Store(settings)
    (record,) = store.file_records().values()
    assert first.added == [str(report_pdf)] and record.extractor.startswith("pdf/4 pypdfium2==")
    assert ingest([report_pdf], settings, encoder).unchanged == [str(report_pdf)]
    store.put_files([FileRecord(record.source, record.sha256, record.chunks, record.title, "pdf/0 pypdfium2==4.0")])
    again = ingest([report_pdf], settings, encoder)
    assert again.changed == [str(report_pdf)] and again.chunks_total == first.chunks_total


def test_the_source_viewer_text_marks_page_breaks_and_keeps_the_passage(report_pdf: Path) -> None:
    from qa.sources import page_marked

    source = load_source(str(report_pdf))
    start = source.text.index(BROKEN_SENTENCE)
    end = start + len(BROKEN_SENTENCE)
    shown, (moved_start, moved_end) = page_marked(source, [start, end])
    assert shown.count("──── page ") == 2 and "──── page 2 ────" in shown[moved_start:moved_end]
    assert shown[moved_start:moved_end].replace("\n──── page 2 ────\n", "") == BROKEN_SENTENCE


def test_a_file_named_as_another_format_is_read_as_what_it_holds(tmp_path: Path, report_pdf: Path) -> None:
    """A PDF saved as "report.txt", a web page saved as "news.txt", a Word file named ".pdf": each is read
    as its first bytes show, and the ingest says so in one line per file. The PDF named .txt was refused as
    "binary file, not text", the Word file as a truncated PDF, and the page's HTML was indexed as markup."""
    folder = tmp_path / "misnamed"
    folder.mkdir()
    shutil.copy(report_pdf, folder / "report.txt")
    shutil.copy(DATA / "bridge-news.html", folder / "news.txt")
    make_memo_docx(folder / "memo.pdf")
    index = str(tmp_path / "index")
    result = run_qa("ingest", str(folder), "--index", index, cwd=tmp_path)
    assert result.returncode == 0 and "3 added" in result.stdout and "0 skipped" in result.stdout, result.stderr
    lines = sorted(result.stderr.splitlines())
    assert lines == ["qa: misnamed/memo.pdf: holds a Word document, read as one (rename it to .docx)",
                     "qa: misnamed/news.txt: holds a web page, read as one (rename it to .html)",
                     "qa: misnamed/report.txt: holds a PDF, read as one (rename it to .pdf)"], result.stderr
    asked = run_qa("ask", "--json", "--index", index, cwd=tmp_path,
                   stdin="when will the vote on the new toll take place?\nhow much will the repairs cost?\n")
    first, second = (json.loads(line) for line in asked.stdout.splitlines())
    assert first["passages"][0]["source"] == "misnamed/report.txt" and first["passages"][0]["page"] == 1
    assert BROKEN_SENTENCE in first["passages"][0]["text"]
    assert second["passages"][0]["source"] == "misnamed/memo.pdf" and "2.4 million" in second["passages"][0]["text"]
    assert not any("<" in p["text"] for answer in (first, second) for p in answer["passages"])  # no markup
    shown = run_qa("show", "misnamed/report.txt:p1:1", "--index", index, cwd=tmp_path)
    assert shown.returncode == 0 and "Inspection" in shown.stdout, shown.stderr


def test_list_items_of_word_and_web_pages_are_marked_and_come_with_the_sentence_that_introduces_them(
        tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """Word keeps a list's bullets and numbers in its numbering and trafilatura drops a page's <li> marks, so
    the items were bare lines: "the ability to:" brought one item, and the items read as one run-on
    sentence. Marked as they show ("•", "1."), the passage brings the list."""
    import docx

    document = docx.Document()
    document.add_heading("Ferry timetable", 0)
    document.add_paragraph("From the first of May the ferry timetable changes in three ways:")
    for item in ("boats leave every twenty minutes", "the last boat leaves at midnight",
                 "Sunday boats call at the old pier"):
        document.add_paragraph(item, style="List Bullet")
    document.add_paragraph("Tickets are sold in this order of priority:")
    for item in ("season tickets", "day returns", "singles"):
        document.add_paragraph(item, style="List Number")
    document.save(tmp_path / "ferry.docx")
    text = read_document(tmp_path / "ferry.docx", 10**6).text
    assert "• boats leave every twenty minutes" in text and "1. season tickets\n\n2. day returns" in text
    (tmp_path / "levels.html").write_text(
        "<html><head><title>Lint levels</title></head><body><main><h1>Lint levels</h1>"
        "<p>In the compiler, lints are divided into four levels that say what a lint does when it fires:</p>"
        "<ol><li>allow</li><li>warn</li><li>deny</li><li>forbid</li></ol>"
        "<p>Each level can be set on the command line or in the source code with an attribute.</p>"
        "</main></body></html>", encoding="utf-8")
    assert "1. allow\n\n2. warn\n\n3. deny\n\n4. forbid" in read_document(tmp_path / "levels.html", 10**6).text
    settings = Settings(index=str(tmp_path / "index"))
    ingest([tmp_path / "ferry.docx", tmp_path / "levels.html"], settings, encoder)
    assistant = Assistant.open(settings, encoder)
    ferry = assistant.ask("how does the ferry timetable change in May?", top_k=1).passages[0].text
    assert "three ways:" in ferry and "Sunday boats call at the old pier" in ferry, ferry
    levels = assistant.ask("what are the lint levels?", top_k=1).passages[0]
    assert "four levels" in levels.text and "4. forbid" in levels.text, levels.text
    # as a person reads it (the terminal, the app): each item on a line of its own
    assert "when it fires:\n1. allow\n2. warn\n3. deny\n4. forbid" in levels.readable()[0]


def test_a_word_file_without_text_is_said_to_hold_no_text_not_to_be_empty(tmp_path: Path) -> None:
    """python-docx's blank document is 36 KB of styles: "empty file" in the summary misdescribed it."""
    import docx

    folder = tmp_path / "words"
    folder.mkdir()
    docx.Document().save(folder / "blank.docx")
    make_memo_docx(folder / "memo.docx")
    result = run_qa("ingest", str(folder), "--index", str(tmp_path / "index"), cwd=tmp_path)
    assert result.returncode == 0 and "1 added" in result.stdout, result.stderr
    said = "qa: words/blank.docx: no text in the document, skipped (add text to it or remove it)"
    assert result.stderr.strip() == said
    assert "Skipped 1: 1 .docx (no text)" in result.stdout


def test_a_heading_in_capitals_at_the_body_size_starts_its_section(tmp_path: Path) -> None:
    """A manual page printed to PDF (groff -man -Tpdf) sets "ENVIRONMENT" in bold at the body's size: it
    ran into the next paragraph ("ENVIRONMENT SSH_AGENT_PID When ..."), one sentence to the chunker."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "harbourctl.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    y = A4[1] - 80
    for text, font in [("DESCRIPTION", "Helvetica-Bold"),
                       ("harbourctl opens and closes the harbour gates from the control room.", "Helvetica"),
                       ("EXIT STATUS", "Helvetica-Bold"),
                       ("HARBOUR_GATE names the gate to open when none is given on the command line.", "Helvetica")]:
        pdf.setFont(font, 10)
        pdf.drawString(60, y, text)
        y -= 13
    pdf.save()
    extracted = read_document(path, 10**6).extracted
    assert [extracted.text[h.start : h.end] for h in extracted.headings] == ["DESCRIPTION", "EXIT STATUS"]
    assert "\n\nEXIT STATUS\n\nHARBOUR_GATE names the gate" in extracted.text
    assert extracted.title == "harbourctl.pdf"  # a heading in capitals is a section's, not the document's title


PORTS_PAGE = """<!DOCTYPE html><html><head><title>Mail services</title></head><body><main>
<h1>Mail services</h1>
<p>Mail clients reach the server over the ports below. The secure services wrap the same protocol in TLS,
so a client that can use them should; the plain ones send passwords as they are typed.</p>
<table><caption>Services and their ports</caption>
<tr><th>insecure service name</th><th>port</th><th>secure service name</th><th>port</th></tr>
<tr><td>smtp</td><td>25</td><td>ssmtp</td><td>465</td></tr>
<tr><td>imap2</td><td>143</td><td>imaps</td><td>993</td></tr>
<tr><td>pop3</td><td>110</td><td>pop3s</td><td>995</td></tr>
</table>
<p>Ask the administrator before opening any other port in the firewall of the mail server.</p>
</main></body></html>
"""


def test_a_tables_rows_of_numbers_are_indexed_and_answer(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    # a natural dev miss: "what port does imaps use?" had no chunk with "993", its table row left out as
    # having too few letters to be text
    assistant, _ = assistant_over(tmp_path, encoder, {"mail.html": PORTS_PAGE})
    answer = assistant.ask("what port does imaps use?", top_k=3)
    assert any("imap2 | 143 | imaps | 993" in p.text for p in answer.passages), [p.text for p in answer.passages]
