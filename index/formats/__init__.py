"""Turning a file of any supported format into its canonical text.

Each extractor returns an `Extracted`: the text every chunk, passage and citation is a slice of,
the document's title, its headings (the structure passages are titled by) and, for a paged
format, where each page and each of the page's lines begins in that text. Extraction is
deterministic: the same bytes and the same extractor version give the same text, so a citation
can be checked later by extracting again. The extractor's name and version are recorded in the
index (`Format.id`); when they change, the file is extracted again.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


class FormatProblem(Exception):
    """Why a file cannot be extracted: the problem, what to do, and its kind for the summary."""

    def __init__(self, problem: str, action: str, kind: str = "") -> None:
        self.problem, self.action, self.kind = problem, action, kind or problem
        super().__init__(f"{problem} ({action})")


@dataclass(frozen=True)
class Heading:
    """A heading of the canonical text: its span and its level (1 is the highest)."""

    start: int
    end: int
    level: int


@dataclass(frozen=True)
class Extracted:
    """A document's canonical text and its structure.

    pages: the offset where each page begins (paged formats; empty otherwise). lines: for a paged
    format, each kept line of a page as (offset where it begins, page, line on the page), the line
    counted as the page shows it (running headers and footers included in the count).
    """

    text: str
    title: str = ""
    headings: tuple[Heading, ...] = ()
    pages: tuple[int, ...] = ()
    lines: tuple[tuple[int, int, int], ...] = field(default=(), repr=False)
    structured: bool = False  # True: blocks follow headings and text lines; False: the prose rule (.txt)
    date: str | None = None  # the format's own date metadata, as given (an HTML page's, a PDF's CreationDate)
    # the pages read by OCR (a scan's): a text that the file's bytes alone do not give again, so the
    # index stores it (index.texts)
    read_by_ocr: tuple[int, ...] = ()

    def page_of(self, offset: int) -> int | None:
        """The 1-based page that holds `offset`, or None for a document without pages."""
        if not self.pages:
            return None
        return max(1, bisect.bisect_right(self.pages, offset))

    def place_of(self, offset: int) -> tuple[int | None, int]:
        """(page, line): the 1-based page and line on it of `offset`; (None, line in the text) without pages."""
        if not self.lines:
            return self.page_of(offset), self.text.count("\n", 0, offset) + 1
        row = bisect.bisect_right(self.lines, (offset, 1 << 30, 1 << 30)) - 1
        if row < 0:
            return self.page_of(offset), 1
        _, page, line = self.lines[row]
        return page, line

    def offset_of(self, page: int | None, line: int) -> int | None:
        """Where page `page`, line `line` begins in the text (a line left out, such as a running
        header, gives the next kept line); None past the page's last line of text."""
        if page is None or not self.lines:
            if line < 1:
                return None
            offset = 0
            for _ in range(line - 1):
                offset = self.text.find("\n", offset) + 1
                if offset == 0:
                    return None
            return offset
        on_page = [(n, start) for start, p, n in self.lines if p == page]
        if not on_page or line < 1 or line > on_page[-1][0]:
            return None
        return next(start for n, start in on_page if n >= line)


@dataclass(frozen=True)
class Format:
    """One file format: its name, the version of the rules that extract it, and the extractor."""

    name: str
    rules: int  # bumped whenever our own extraction rules change (html 3, docx 2: list items marked; pdf 3: OCR)
    library: str  # the PyPI package that does the reading ("" for none)
    extract: Callable[..., Extracted]  # (path, limit on the text's characters[, the OCR reader when `scans`])
    paged: bool = False
    scans: bool = False  # its pages may be images of text, read by OCR at ingest (index.formats.ocr)

    @property
    def id(self) -> str:
        """What the index records: "pdf/1 pypdfium2==5.15.2"."""
        if not self.library:
            return f"{self.name}/{self.rules}"
        return f"{self.name}/{self.rules} {self.library}=={library_version(self.library)}"


@cache
def library_version(package: str) -> str:
    """The installed version of a PyPI package ("missing" when it is not installed)."""
    try:
        return version(package)
    except PackageNotFoundError:
        return "missing"


@cache
def formats() -> dict[str, Format]:
    """Every supported format by file suffix (imported lazily: PDF and HTML libraries load on use)."""
    from index.formats import docx, html, pdf, text

    table = {
        ".txt": Format("text", 1, "", text.extract_plain),
        ".md": Format("markdown", 1, "", text.extract_markdown),
        ".markdown": Format("markdown", 1, "", text.extract_markdown),
        ".html": Format("html", 3, "trafilatura", html.extract_html),
        ".htm": Format("html", 3, "trafilatura", html.extract_html),
        ".pdf": Format("pdf", 3, "pypdfium2", pdf.extract_pdf, paged=True, scans=True),
        ".docx": Format("docx", 2, "python-docx", docx.extract_docx),
    }
    return table


PLAIN_TEXT_ID = "text/1"  # what an index written before formats were recorded holds


def format_of(path: Path) -> Format | None:
    """The format of `path`: by its suffix, None when unsupported; but a file of a supported suffix
    whose first bytes show another supported format is read as what it is (a PDF saved as
    "notes.txt", a web page saved as "page.txt", a Word file named ".pdf")."""
    named = formats().get(path.suffix.lower())
    if named is None:
        return None
    found = sniffed(path)
    return formats()[found] if found is not None and formats()[found].name != named.name else named


SNIFF_BYTES = 1024  # a PDF's header may stand anywhere in its first 1,024 bytes (ISO 32000, readers allow it)


def sniffed(path: Path) -> str | None:
    """The suffix of the format that the first bytes of `path` show (".pdf", ".docx", ".html"), or None:
    text, another format, or not readable (reading it later says why)."""
    import stat
    import zipfile

    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block the open, /dev/zero never end
            return None
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return None
    if head.startswith(b"%PDF-"):
        return ".pdf"
    if head.startswith(b"PK\x03\x04"):  # a zip archive: a Word file holds word/document.xml
        try:
            with zipfile.ZipFile(path) as archive:
                return ".docx" if "word/document.xml" in archive.namelist() else None
        except (OSError, zipfile.BadZipFile):
            return None
    opening = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return ".html" if opening.startswith((b"<!doctype html", b"<html")) else None


def whole_characters(text: str) -> str:
    """`text` with each UTF-16 surrogate pair joined into its character and a lone surrogate replaced
    by U+FFFD: PDFium gives a character beyond U+FFFF (mathematical italic 𝑥) as two code units."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class TextBuilder:
    """Builds a canonical text paragraph by paragraph: one line each, a blank line between them."""

    def __init__(self, max_chars: int) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.headings: list[Heading] = []
        self.max_chars = max_chars

    def add(self, text: str, heading_level: int = 0) -> None:
        """Append a paragraph (its white space runs made single spaces); a level makes it a heading."""
        text = " ".join(text.split())
        if not text:
            return
        if self.parts:
            self.parts.append("\n\n")
            self.length += 2
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        if heading_level:
            self.headings.append(Heading(start, self.length, heading_level))
        if self.length > self.max_chars:
            raise too_large(self.length, self.max_chars)

    def text(self) -> str:
        return "".join(self.parts)


def too_large(chars: int, max_chars: int) -> FormatProblem:
    """The problem of a document whose extracted text passes the limit."""
    return FormatProblem(
        f"extracted text too large (over {chars / 1e6:.1f} MB, limit {max_chars / 1e6:.0f} MB)",
        "split it, or raise max_file_mb / QA_MAX_FILE_MB",
        "too large",
    )
