"""Pages that are images of text (scans) read by Tesseract through pytesseract, at ingest only.

Each page is rendered by PDFium at the scan's own resolution and Tesseract's words come back (as
hOCR) with their boxes, lines, paragraphs and font heights; they become the page's `Line`s, placed
as PDFium places text, so the PDF rules lay a scanned page out as any other (paragraphs, headings
by size, running headers and page numbers left out) and a citation keeps its page. The text is
stored with the index (`index.texts`) and never read again at answer time. Why pytesseract and not
ocrmypdf's library: CONTRIBUTING.md, **Formats**.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import statistics
import time
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

from index.documents.formats import FormatProblem
from index.documents.formats.pdf_layout import Line

INSTALL = "install it: apt-get install tesseract-ocr tesseract-ocr-eng (as root), then run the ingest again"
LANGUAGE = "eng"
MIN_DPI, MAX_DPI, UNKNOWN_DPI = 200, 400, 300  # a scan is read at its own resolution, within these
PAGE_SECONDS = 300  # a page Tesseract has not read in this long is given up, and its file skipped
MIN_CONFIDENCE = 30  # a line Tesseract is less sure of than this, on average, is noise (a photograph's grain)
HEIGHT_TO_SIZE = 1.05  # Tesseract's font height of a line (x_size) is about 0.95 of its font size (Helvetica)
SAME_SIZE = 0.1  # font heights this close are one font's (the PDF rules see a change past 0.15)
XHTML = "{http://www.w3.org/1999/xhtml}"

Progress = Callable[[int, int], None]


class PageReader:
    """Reads pages with Tesseract; counts the pages read and the seconds taken, for the ingest's
    summary, and says after each page how many of those expected are done (`progress(done, total)`)."""

    def __init__(self, progress: Progress | None = None, language: str = LANGUAGE) -> None:
        self.progress = progress
        self.language = language
        self.pages = 0  # read so far
        self.expected = 0  # pages without text met so far, read or to be read
        self.seconds = 0.0
        self._engine: str | None = None

    def engine(self) -> str:
        """What reads: "tesseract 5.3.0 eng" (raises FormatProblem, saying how to install what is missing)."""
        if self._engine is None:
            import pytesseract

            if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
                raise FormatProblem("its pages are images of text, and Tesseract is not installed to read them",
                                    INSTALL, "Tesseract missing")
            if self.language not in pytesseract.get_languages(config=""):
                raise FormatProblem(f"its pages are images of text, and Tesseract has no {self.language!r} language "
                                    "data to read them", INSTALL, "Tesseract missing")
            self._engine = f"tesseract {pytesseract.get_tesseract_version()} {self.language}"
        return self._engine

    def expect(self, pages: int) -> None:
        """`pages` more pages to read (a PDF's pages without text, counted before they are read)."""
        self.engine()
        self.expected += pages
        if self.progress:
            self.progress(self.pages, self.expected)

    def read(self, page: Any) -> list[Line]:
        """The lines of a pypdfium2 page that is an image of text, placed in the page's points from its bottom."""
        import pytesseract

        self.engine()
        began = time.perf_counter()
        dpi = resolution(page)
        image = page.render(scale=dpi / 72, grayscale=True).to_pil()
        # Tesseract's OpenMP threads spin on a busy machine: one thread per page cost a third of the CPU
        # time of its default (README, OCR figures); a value the user set is kept
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        try:
            hocr = pytesseract.image_to_pdf_or_hocr(image, lang=self.language, extension="hocr", timeout=PAGE_SECONDS)
        except RuntimeError:  # pytesseract's "Tesseract process timeout"
            raise FormatProblem(f"Tesseract did not read a page in {PAGE_SECONDS} s", "split the PDF, or check "
                                "the scan", "OCR failed") from None
        except pytesseract.TesseractError as error:
            said = " ".join(str(error.message).split())[:120]
            raise FormatProblem(f"Tesseract could not read a page ({said})", "check the scan", "OCR failed") from None
        lines = page_lines(hocr, 72 / dpi, page.get_height())
        self.pages += 1
        self.seconds += time.perf_counter() - began
        if self.progress:
            self.progress(self.pages, self.expected)
        return lines


def resolution(page: Any) -> int:
    """The dots per inch to render a scanned page at: its largest image's own, within MIN_DPI..MAX_DPI."""
    import pypdfium2.raw as pdfium_c

    found = 0.0
    for image in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
        width, _ = image.get_px_size()
        left, _, right, _ = image.get_bounds()
        if right - left > 1:
            found = max(found, width / ((right - left) / 72))
    return round(min(MAX_DPI, max(MIN_DPI, found))) if found else UNKNOWN_DPI


def page_lines(hocr: bytes, scale: float, height: float) -> list[Line]:
    """Tesseract's hOCR of a page as lines: each line's words in order, its top in points from the page's
    bottom (`scale`: points per pixel, `height`: the page's), its size the font height Tesseract
    estimates for it (`x_size`: unlike the line's box, it does not shrink for a line without
    ascenders or descenders), and whether Tesseract begins a paragraph there."""
    paragraphs: list[list[tuple[str, float, float]]] = []  # each line: its text, top, font height (pixels)
    for paragraph in ElementTree.fromstring(hocr).iter(f"{XHTML}p"):
        lines = []
        for line in paragraph:
            words = [(" ".join("".join(word.itertext()).split()), float(properties(word).get("x_wconf", "0")))
                     for word in line if word.get("class") == "ocrx_word"]
            words = [(text, confidence) for text, confidence in words if text]
            if not any(c.isalnum() for text, _ in words for c in text) \
                    or statistics.fmean(confidence for _, confidence in words) < MIN_CONFIDENCE:
                continue
            found = properties(line)
            box = found.get("bbox", "0 0 0 0").split()
            lines.append((" ".join(text for text, _ in words), float(box[1]),
                          float(found.get("x_size", float(box[3]) - float(box[1])))))
        if lines:
            paragraphs.append(lines)
    out: list[Line] = []
    for lines in paragraphs:
        sizes = steady_sizes([font for _, _, font in lines])
        for number, ((text, top, _), font) in enumerate(zip(lines, sizes, strict=True)):
            placed = height - top * scale
            out.append(Line(text, placed, font * scale * HEIGHT_TO_SIZE, len(out), end_top=placed,
                            starts_paragraph=number == 0))
    heights = sorted({round(line.top) for line in out}, reverse=True)
    rank = {value: number for number, value in enumerate(heights, start=1)}
    return [dataclasses.replace(line, number=rank[round(line.top)]) for line in out]


def steady_sizes(fonts: list[float]) -> list[float]:
    """A paragraph's font heights with each run of like ones (within SAME_SIZE of the run's median) made
    that median: Tesseract's estimate wavers a few per cent from line to line of one font, which would
    read as a change of font (a heading's second line a heading of its own level)."""
    runs: list[list[float]] = []
    for font in fonts:
        if runs and abs(font - statistics.median(runs[-1])) <= SAME_SIZE * max(font, statistics.median(runs[-1])):
            runs[-1].append(font)
        else:
            runs.append([font])
    return [statistics.median(run) for run in runs for _ in run]


def properties(element: ElementTree.Element) -> dict[str, str]:
    """An hOCR element's properties, from its title ("bbox 10 20 30 40; x_size 39"): name to value."""
    found = {}
    for part in (element.get("title") or "").split(";"):
        name, _, value = part.strip().partition(" ")
        found[name] = value
    return found
