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
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

WORD_PATTERN = re.compile(r"\w+")


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
    code: tuple[tuple[int, int], ...] = ()  # (start, end) of code blocks, synopses and command lines: no answers
    kept: float | None = None  # the share of the document's own words that the text keeps (None: not measured)
    how: str = ""  # how the text was extracted when not the format's usual way ("recall", "whole page")

    def in_code(self, start: int, end: int) -> bool:
        """Whether `[start, end)` lies inside a code block, a synopsis or a command line."""
        row = bisect.bisect_right(self.code, (start, 1 << 62)) - 1
        return row >= 0 and self.code[row][0] <= start and end <= self.code[row][1]

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
        # the kept lines of a page in text order, whose numbers need not rise: PDFium may read a line set
        # high on the page (a heading in a box, a margin note) after the text below it
        at_or_below = [(n, start) for start, p, n in self.lines if p == page and n >= line]
        if not at_or_below or line < 1:
            return None
        return min(at_or_below)[1]


@dataclass(frozen=True)
class Format:
    """One file format: its name, the version of the rules that extract it, and the extractor."""

    name: str
    rules: int  # bumped whenever our own extraction rules change (html 4, pdf 4, docx 3: terms with definitions,
    # code; pdf 3: OCR)
    library: str  # the PyPI package that does the reading ("" for none)
    extractor: str  # "module:function" of the extractor, imported only when a file is extracted (the
    # question path reads the texts the index keeps, and never imports one: index.texts)
    paged: bool = False
    scans: bool = False  # its pages may be images of text, read by OCR at ingest (index.documents.formats.ocr)

    @property
    def extract(self) -> Callable[..., Extracted]:
        """The extractor: (path, limit on the text's characters[, the OCR reader when `scans`])."""
        module, function = self.extractor.split(":")
        return getattr(import_module(module), function)  # type: ignore[no-any-return]

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
    """Every supported format by file suffix (no extractor is imported until a file is extracted)."""
    package = __name__
    return {
        ".txt": Format("text", 1, "", f"{package}.text:extract_plain"),
        ".md": Format("markdown", 1, "", f"{package}.text:extract_markdown"),
        ".markdown": Format("markdown", 1, "", f"{package}.text:extract_markdown"),
        ".html": Format("html", 4, "trafilatura", f"{package}.html:extract_html"),
        ".htm": Format("html", 4, "trafilatura", f"{package}.html:extract_html"),
        ".pdf": Format("pdf", 4, "pypdfium2", f"{package}.pdf:extract_pdf", paged=True, scans=True),
        ".docx": Format("docx", 3, "python-docx", f"{package}.docx:extract_docx"),
    }


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


SURROGATE = re.compile("[\ud800-\udfff]")  # a UTF-16 code unit, never a character of valid text


def whole_characters(text: str) -> str:
    """`text` with each UTF-16 surrogate pair joined into its character and a lone surrogate replaced
    by U+FFFD: PDFium gives a character beyond U+FFFF (mathematical italic 𝑥) as two code units."""
    if not SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


TERM_SEPARATOR = " — "  # between a term and its definition on their one line ("-m, --move — Move/rename ...")
# The section of a manual page that shows how a command is typed (man-pages(7)): command lines, not prose.
SYNOPSIS_HEADINGS = frozenset(("synopsis",))


class TextBuilder:
    """Builds a canonical text paragraph by paragraph: one line each, a blank line between them; a term
    written with the definition that follows it, on one line; code blocks and a manual's synopsis marked."""

    def __init__(self, max_chars: int) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.headings: list[Heading] = []
        self.code: list[tuple[int, int]] = []
        self.max_chars = max_chars
        self.term = ""  # a term waiting for its definition
        self.term_after_code = False  # ... with code written after it
        self.synopsis_level = 0  # inside a synopsis section: the level of its heading

    def add(self, text: str, heading_level: int = 0, code: bool = False) -> None:
        """Append a paragraph (its white space runs made single spaces); a level makes it a heading;
        `code`: a command line or code (a block of several lines keeps its lines)."""
        lines = [" ".join(line.split()) for line in text.splitlines()] if code else [" ".join(text.split())]
        text = "\n".join(line for line in lines if line)
        if not text:
            return
        if heading_level and heading_level <= self.synopsis_level:
            self.synopsis_level = 0  # the synopsis ends at the next heading of its rank
        code = code or bool(self.synopsis_level and not heading_level)
        if self.term and heading_level:
            self._write(self.term)
            self.term = ""
        elif self.term and not code:
            text = self.term + TERM_SEPARATOR + text
            self.term = ""
        # a term's synopsis (a code block) comes before it: the term waits for its definition
        self.term_after_code = bool(self.term and code)
        start = self._write(text)
        if heading_level:
            self.headings.append(Heading(start, self.length, heading_level))
            if text.casefold() in SYNOPSIS_HEADINGS:
                self.synopsis_level = heading_level
        elif code:
            self.code.append((start, self.length))

    def add_term(self, term: str) -> None:
        """A term, written with the paragraph that follows (its definition); terms in a row are joined."""
        term = " ".join(term.split())
        if term and self.term and self.term_after_code:
            self._write(self.term)  # a term whose definition was only code
            self.term = ""
        if term:
            self.term = f"{self.term}, {term}" if self.term else term
            self.term_after_code = False

    def _write(self, text: str) -> int:
        if self.parts:
            self.parts.append("\n\n")
            self.length += 2
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        if self.length > self.max_chars:
            raise too_large(self.length, self.max_chars)
        return start

    def text(self) -> str:
        if self.term:
            self._write(self.term)
            self.term = ""
        return "".join(self.parts)


LABEL_WORDS = 8  # a term set above its definition ("-c --stdout --to-stdout") is this short


def is_option_label(text: str) -> bool:
    """A command's option standing alone above its description ("-b, --number-nonblank"), as a manual
    page sets it: it opens with a dash, is short and ends no sentence."""
    return text.startswith("-") and len(text.split()) <= LABEL_WORDS and not text.rstrip().endswith((".", ":"))


NAME_HEADINGS = frozenset(("name",))  # a manual page's first section (man-pages(7)): "NAME"
NAME_LINE = re.compile(r"^[\w.:+-]+(?:,\s*[\w.:+-]+)*\s+\\?[-–—]+\s+\S")  # "gzip, gunzip, zcat - compress or ..."


def manual_summary(text: str, headings: tuple[Heading, ...] | list[Heading]) -> str:
    """A manual page's one-line summary: the line under its NAME heading ("gzip, gunzip, zcat -
    compress or expand files"), or "" for a document that is no manual page."""
    name = _name_heading(text, headings)
    if name is None:
        return ""
    line = text[name.end :].lstrip("\n").split("\n", 1)[0]
    return line if NAME_LINE.match(line) and len(line) <= 200 else ""


def _name_heading(text: str, headings: tuple[Heading, ...] | list[Heading]) -> Heading | None:
    return next((h for h in headings if text[h.start : h.end].strip().casefold() in NAME_HEADINGS), None)


def not_answers(text: str, headings: tuple[Heading, ...] | list[Heading], code: list[tuple[int, int]]
                ) -> tuple[tuple[int, int], ...]:
    """The spans that are never an answer: code, and a manual page's header above its NAME section (its
    name, section, date and links back: "CAT", "Section: User Commands (1) Updated: September 2022")."""
    name = _name_heading(text, headings)
    header = [(0, name.start)] if name is not None and name.start > 0 and manual_summary(text, headings) else []
    return tuple(sorted(header + code))


def word_counts(text: str) -> Counter[str]:
    """The words of a text, case aside, with how often each occurs."""
    return Counter(WORD_PATTERN.findall(text.casefold()))


def kept_share(whole: Counter[str], kept: str) -> float:
    """The share of the words of a document (`whole`, from `word_counts`) that its extracted text keeps."""
    total = sum(whole.values())
    if not total:
        return 1.0
    found = word_counts(kept)
    return sum(min(count, found[word]) for word, count in whole.items()) / total


def too_large(chars: int, max_chars: int) -> FormatProblem:
    """The problem of a document whose extracted text passes the limit."""
    return FormatProblem(
        f"extracted text too large (over {chars / 1e6:.1f} MB, limit {max_chars / 1e6:.0f} MB)",
        "split it, or raise max_file_mb / QA_MAX_FILE_MB",
        "too large",
    )
