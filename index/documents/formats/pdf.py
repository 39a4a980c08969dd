"""PDF: the text of each page in reading order by pypdfium2 (PDFium), running headers and footers
left out, lines joined into paragraphs and a sentence broken across a page joined into one.

The canonical text is built here: a paragraph is one line and a blank line separates paragraphs,
so the chunker's sentences never break where the PDF broke a line. Pages are read one at a
time (only their lines are kept), so a long PDF needs little memory.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from index.documents.formats import (
    Extracted,
    FormatProblem,
    kept_share,
    manual_summary,
    not_answers,
    too_large,
    whole_characters,
    word_counts,
)
from index.documents.formats.pdf_layout import SOFT_HYPHEN, Line, build_text, page_furniture, running_lines
from index.documents.formats.titles import folder_affixes, without_affixes

if TYPE_CHECKING:
    from index.documents.formats.ocr import PageReader


def _open(path: Path):  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium

    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 4096))
        if b"%%EOF" not in handle.read():
            raise FormatProblem("truncated PDF (no end-of-file marker)", "download or save it again", "truncated")
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise FormatProblem("encrypted PDF (password-protected)",
                                "save a copy without the password, e.g. qpdf --decrypt", "encrypted") from None
        raise FormatProblem("corrupt PDF (PDFium cannot read it)", "download or save it again", "corrupt") from None


def _page_lines(page) -> list[Line]:  # type: ignore[no-untyped-def]
    """The lines of one page with text, in PDFium's reading order."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count else ""
        if len(text) != count:  # one character per index is needed to place each line
            text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i)) for i in range(count))
        lines: list[Line] = []
        for match in re.finditer(r"[^\r\n]+", text):
            # PDFium marks a word hyphenated at the end of a line (U+FFFE, or U+0002) and runs the
            # line on into the next: the word is written whole
            body = whole_characters(" ".join(SOFT_HYPHEN.sub("", match.group()).split()))
            if not body:
                continue
            first = match.start() + (len(match.group()) - len(match.group().lstrip()))
            last = match.start() + len(match.group().rstrip()) - 1
            # loose boxes: the font's full height, the same for every character of a line
            left, _, _, top = textpage.get_charbox(first, loose=True)
            _, _, _, end_top = textpage.get_charbox(last, loose=True)
            size = float(pdfium_c.FPDFText_GetFontSize(textpage.raw, first))
            mono = all(_fixed_pitch(textpage, i) for i in (first, (first + last) // 2, last))
            lines.append(Line(body, float(top), size, len(lines), end_top=float(end_top), left=float(left), mono=mono))
        heights = sorted({round(line.top) for line in lines}, reverse=True)
        rank = {height: number for number, height in enumerate(heights, start=1)}
        return [dataclasses.replace(line, number=rank[round(line.top)]) for line in lines]
    finally:
        textpage.close()


def _fixed_pitch(textpage, index: int) -> bool:  # type: ignore[no-untyped-def]
    """Whether the character at `index` is set in a fixed-pitch font (the PDF font flag FixedPitch)."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    flags = ctypes.c_int(0)
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, None, 0, ctypes.byref(flags))
    return bool(flags.value & 1)


def _pages(path: Path, max_chars: int, ocr: PageReader | None = None,
           read_by_ocr: list[int] | None = None) -> Iterator[list[Line]]:
    """Each page's lines, one page at a time; a page without text that shows an image (a scan) read
    by `ocr`, its number added to `read_by_ocr` (without `ocr`, such a page has no lines)."""
    document = _open(path)
    try:
        total = 0
        expected = False  # the pages to read by OCR counted (when the first is met)
        for index in range(len(document)):
            page = _page(document, index)
            try:
                lines = _page_lines(page)
                if not lines and ocr is not None and _scanned(page):
                    if not expected:
                        ocr.expect(1 + sum(_scanned(_page(document, later), close=True)
                                           for later in range(index + 1, len(document))))
                        expected = True
                    lines = ocr.read(page)
                    if read_by_ocr is not None:
                        read_by_ocr.append(index + 1)
            finally:
                page.close()
            total += sum(len(line.text) + 1 for line in lines)
            if total > max_chars:
                raise too_large(total, max_chars)
            yield lines
    finally:
        document.close()


def _page(document, index: int):  # type: ignore[no-untyped-def]
    """Page `index` of an open PDF (raises FormatProblem for a page PDFium cannot read)."""
    import pypdfium2 as pdfium

    try:
        return document[index]
    except pdfium.PdfiumError:
        raise FormatProblem(f"corrupt PDF (page {index + 1} cannot be read)", "download or save it again",
                            "corrupt") from None


def _scanned(page, close: bool = False) -> bool:  # type: ignore[no-untyped-def]
    """Whether a page is an image of text: no characters, and an image on it."""
    import pypdfium2.raw as pdfium_c

    try:
        textpage = page.get_textpage()
        try:
            if textpage.count_chars():
                return False
        finally:
            textpage.close()
        return next(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)), None) is not None
    finally:
        if close:
            page.close()


def extract_pdf(path: Path, max_chars: int, ocr: PageReader | None = None) -> Extracted:
    """A PDF's canonical text, its pages and the place of each kept line; pages that are images of
    text (scans) are read by `ocr`, or have no text without it; `kept` is the share of the words of
    its text layer, running headers and footers aside, that the text holds."""
    read_by_ocr: list[int] = []
    pages = list(_pages(path, max_chars, ocr, read_by_ocr))
    if not any(pages) and read_by_ocr:
        raise FormatProblem("no text found, by OCR either (pictures, or a scan too faint to read)",
                            "nothing to index; a sharper scan may read", "no text found")
    if not any(pages):
        raise FormatProblem(
            "no text layer (a scanned or image-only PDF)", "OCR it first, e.g. ocrmypdf in.pdf out.pdf", "no text layer"
        )
    furniture = page_furniture(pages, running_lines(pages))
    out = build_text(pages, furniture)
    text = "".join(out.parts)
    given, date = _metadata(path)
    title = (manual_summary(text, out.headings) or without_affixes(given, folder_affixes(path, pdf_title))
             or next((text[h.start : h.end] for h in out.headings if h.level == 1), "") or path.name)
    # the text layer less its running headers and footers, which are furniture by design
    layer = word_counts("\n".join(line.text for index, lines in enumerate(pages) for line in lines
                                  if (index, line.order) not in furniture))
    return Extracted(text, title=title, headings=tuple(out.headings), pages=tuple(out.pages), lines=tuple(out.lines),
                     structured=True, date=date, read_by_ocr=tuple(read_by_ocr),
                     code=not_answers(text, out.headings, out.code), kept=kept_share(layer, text))


def pdf_title(path: Path) -> str:
    """A PDF's Title, read from its document information alone ("" for none)."""
    try:
        return _metadata(path)[0]
    except Exception:
        return ""


def _metadata(path: Path) -> tuple[str, str | None]:
    """The Title of the PDF's document information, unless it is a producer's placeholder, and its
    CreationDate ("D:20220420...")."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        title = " ".join(str(document.get_metadata_value("Title") or "").split())
        date = str(document.get_metadata_value("CreationDate") or "") or None
        # a page printed by a web browser is stamped with the time it was printed, not the page's own date
        if str(document.get_metadata_value("Producer") or "").startswith("Skia/PDF") \
                or str(document.get_metadata_value("Creator") or "").startswith("Mozilla/"):
            date = None
    finally:
        document.close()
    # a placeholder: "Untitled", a file's name ("report.docx"), or this file's own stem (Pillow and many
    # scanners write it: "scan0001")
    if title.lower() in ("untitled", "untitled document", path.stem.lower()) \
            or re.search(r"\.(docx?|odt|pdf|txt|html?)$", title, re.I):
        title = ""
    return title, date
