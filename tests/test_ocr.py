"""Scanned PDFs read by OCR at ingest: real scans made here (text drawn onto page images by Pillow and
saved as a PDF with no text layer), the real Tesseract, a real index; the stored text is what a
question and `qa show` read afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from config.errors import UnreadableFile
from config.settings import Settings
from index.documents.formats.ocr import PageReader
from index.documents.read import read_document
from index.ingest import ingest
from index.store import Store
from index.texts import CanonicalTexts
from qa.engine import Assistant
from qa.sources import load_source
from tests.test_server import chroma_server as chroma_server  # a real `chroma run`, as a fixture

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None,
    reason="Tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng; ./dev.sh test installs it)")

DPI = 300
PAGES = [
    ["Minutes of the Harbour Committee", "",
     "The committee met in the town hall on a wet Tuesday morning. The chair opened the meeting and read the "
     "apologies of two members who were away at sea.",
     "",
     "The treasurer said that the accounts for the year were in order and that the repair fund had grown."],
    ["Decisions", "",
     "The committee agreed that the old lighthouse would be painted white and red before the summer season. "
     "The painting will cost eleven thousand pounds, paid from the repair fund.",
     "",
     "The next meeting will be held in the lifeboat station."],
]
QUESTION = "how much will the painting of the lighthouse cost?"


def make_scan(path: Path, pages: list[list[str]]) -> None:
    """A PDF of page images and no text layer, as a scanner makes it: each page's lines drawn by
    Pillow onto an A4 page at 300 dpi (a heading in larger type, paragraphs wrapped)."""
    from PIL import Image, ImageDraw, ImageFont

    body, heading = ImageFont.load_default(size=44), ImageFont.load_default(size=72)
    images = []
    for lines in pages:
        image = Image.new("L", (2480, 3508), 255)
        draw = ImageDraw.Draw(image)
        y = 300
        for number, line in enumerate(lines):
            font = heading if number == 0 else body
            for part in textwrap.wrap(line, 80) if number else [line]:
                draw.text((250, y), part, font=font, fill=0)
                y += 100 if number == 0 else 62
            if not line:
                y += 30
        images.append(image)
    images[0].save(path, "PDF", resolution=float(DPI), save_all=True, append_images=images[1:])


@needs_tesseract
def test_a_scan_beside_a_text_file_answers_with_a_page_citation_read_once(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "docs"
    folder.mkdir()
    make_scan(folder / "minutes.pdf", PAGES)
    (folder / "notes.txt").write_text("The harbour bridge was closed for repairs in March 2019 by the council.\n")
    settings = Settings(index=str(tmp_path / "index"))
    reader = PageReader()
    report = ingest([folder], settings, encoder, ocr=reader)
    assert sorted(Path(p).name for p in report.added) == ["minutes.pdf", "notes.txt"] and not report.skipped
    assert report.ocr_pages == 2 and report.ocr_summary().startswith("Read 2 scanned pages by OCR in ")

    answer = Assistant.open(settings, encoder).ask(QUESTION)
    first = answer.passages[0]
    assert not answer.stale and first.citation.source.endswith("minutes.pdf") and first.citation.page == 2
    assert "eleven thousand pounds" in first.text
    # the citation checks against the text the index keeps: the file itself has no text to give
    kept = load_source(str(folder / "minutes.pdf"), CanonicalTexts(Store(settings)))
    assert kept.text[first.citation.start : first.citation.end] == first.text
    with pytest.raises(UnreadableFile, match="no text layer"):  # no OCR but at ingest
        read_document(folder / "minutes.pdf", 10**6)
    shown = Assistant.open(settings, encoder).show(first.citation)
    assert "eleven thousand pounds" in shown.cited and shown.page == 2

    # read once: unchanged files cost a hash, and a rebuilt index (other chunk sizes) uses the kept text
    assert ingest([folder], settings, encoder, ocr=reader).unchanged and reader.pages == 2
    rebuilt = ingest([folder], settings.replace(chunk_tokens=100), encoder, ocr=reader)
    assert rebuilt.rebuilt and len(rebuilt.added) == 2 and rebuilt.ocr_pages == 2 and reader.pages == 2


@needs_tesseract
def test_the_text_read_by_ocr_is_kept_on_a_chroma_server_for_every_reader(
    chroma_server: str, tmp_path: Path, encoder  # type: ignore[no-untyped-def]
) -> None:
    make_scan(tmp_path / "minutes.pdf", PAGES)
    settings = Settings(index=chroma_server)
    assert ingest([tmp_path / "minutes.pdf"], settings, encoder).ocr_pages == 2
    kept = CanonicalTexts(Store(settings)).document(tmp_path / "minutes.pdf")
    assert kept is not None and kept.extracted.read_by_ocr == (1, 2) and kept.extractor.startswith("pdf/4 ")
    answer = Assistant.open(settings, encoder).ask(QUESTION)  # another process would read the same
    assert not answer.stale and answer.passages[0].citation.page == 2
    (tmp_path / "minutes.pdf").unlink()
    assert ingest([tmp_path], settings, encoder).removed  # the file gone: its text goes with it
    assert CanonicalTexts(Store(settings)).get(kept.sha256) is None


@needs_tesseract
def test_a_mixed_pdf_keeps_its_text_layer_and_reads_only_its_scanned_page(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    typed = tmp_path / "typed.pdf"
    pdf = canvas.Canvas(str(typed), pagesize=A4)
    for sentence in ("The first page was typed: the ferry carried 412 passengers in May.",
                     "The second page was typed too: the quay was rebuilt in 1993."):
        pdf.setFont("Helvetica", 11)
        pdf.drawString(60, 760, sentence)
        pdf.showPage()
    pdf.save()
    make_scan(tmp_path / "scan.pdf", PAGES[1:])
    writer = PdfWriter()
    for part in (typed, tmp_path / "scan.pdf"):
        writer.append(PdfReader(part))
    mixed = tmp_path / "mixed.pdf"
    with mixed.open("wb") as handle:
        writer.write(handle)

    reader = PageReader()
    extracted = read_document(mixed, 10**6, reader).extracted
    assert extracted.read_by_ocr == (3,) and reader.pages == 1
    without = read_document(mixed, 10**6).extracted  # the text layer alone, as PDFium reads it
    assert extracted.text[: extracted.pages[2]].rstrip() == without.text and "412 passengers" in without.text
    assert "eleven thousand pounds" in extracted.text[extracted.pages[2] :]
    assert extracted.place_of(extracted.text.index("eleven"))[0] == 3


def test_without_tesseract_a_scan_is_skipped_with_how_to_install_it(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    make_scan(folder / "minutes.pdf", PAGES[:1])
    (folder / "notes.txt").write_text("The harbour bridge was closed for repairs in March 2019 by the council.\n")
    bin_only = str(Path(sys.executable).parent)  # the environment's own programs: no tesseract among them
    result = subprocess.run([str(Path(bin_only) / "qa"), "ingest", str(folder), "--index", str(tmp_path / "index")],
                            capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
                            env={**os.environ, "PATH": bin_only})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ("qa: docs/minutes.pdf: its pages are images of text, and Tesseract is not installed to "
                             "read them, skipped (install it: apt-get install tesseract-ocr tesseract-ocr-eng (as "
                             "root), then run the ingest again)\n")
    assert "1 added" in result.stdout and "Skipped 1: 1 .pdf (Tesseract missing)" in result.stdout
