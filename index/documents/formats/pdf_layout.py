"""A PDF's lines to paragraphs: running headers and footers found, headings by size and case, lines joined
into paragraphs by their gaps (index.documents.formats.pdf reads the lines)."""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass

from index.documents.formats import (
    LABEL_WORDS,
    SYNOPSIS_HEADINGS,
    TERM_SEPARATOR,
    Heading,
)

LIST_ITEM = re.compile(r"^(?:[•◦▪●■‣–]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s")  # a line that starts a list item
SOFT_HYPHEN = re.compile("[\ufffe\x02\xad]")
PAGE_NUMBER = re.compile(r"(?i)^[\W_]*(?:page\s*)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?[\W_]*$")
SENTENCE_END = re.compile(r"""[.!?…:;]["'”’)\]]*$""")
EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running headers or footers
REPEATED_SHARE = 0.4  # an edge line repeated on this share of the pages (digits aside) is furniture
RUNNING_WORDS = 12  # ... if it is this short: a line of more words is the page's own, whatever repeats
HEADING_SIZE = 1.15  # a line this many times the body's font size (and short) is a heading
HEADING_WORDS = 20
PARAGRAPH_GAP = 1.6  # a line further below the one before than this many font sizes starts a paragraph
PARAGRAPH_PITCH = 1.35  # ... or than this many times the body's usual line spacing
MIN_PAGE_WORDS = 20  # a page of this many words or more is never left out whole as running lines


@dataclass(frozen=True)
class Line:
    """One line of a page as PDFium reads it: its text, where it is and its font size."""

    text: str
    top: float
    size: float
    order: int  # in PDFium's reading order, from 0
    number: int = 0  # the line on the page counted from the top (lines at one height share a number)
    end_top: float = 0.0  # the top of its last character (lower than `top` when PDFium ran two lines on)
    starts_paragraph: bool = False  # read by OCR: Tesseract begins a paragraph here (index.documents.formats.ocr)
    left: float = 0.0  # where its first character begins, from the page's left edge
    mono: bool = False  # set in a fixed-pitch font throughout (code, a command line)


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def running_lines(pages: list[list[Line]]) -> set[tuple[int, int]]:
    """(page index, line order) of running headers and footers: a line at the top or bottom of a
    page that is a page number ("3", "3/15", "Page 3 of 15"), or that recurs at the edge of many
    pages, digits aside (a title, a date, a URL, "Report 2024 · page 3")."""
    edges: list[tuple[int, Line]] = []
    for index, lines in enumerate(pages):
        by_height = sorted(lines, key=lambda line: -line.top)
        chosen = {id(line): line for line in by_height[:EDGE_LINES] + by_height[-EDGE_LINES:]}
        edges.extend((index, line) for line in chosen.values())
    pages_with_text = sum(1 for lines in pages if lines)
    seen: Counter[str] = Counter()
    for key in {(index, _furniture_key(line.text)) for index, line in edges}:
        seen[key[1]] += 1
    needed = max(2, math.ceil(REPEATED_SHARE * pages_with_text))
    body = _body_size(pages)
    numbers = {(index, line.order) for index, line in edges if PAGE_NUMBER.match(line.text)}
    # a line in a heading's font is the document's own (a title page's title that the running header repeats)
    repeated = {
        (index, line.order)
        for index, line in edges
        if pages_with_text >= 2 and seen[_furniture_key(line.text)] >= needed and not _is_heading_size(line, body)
        and (len(line.text.split()) <= RUNNING_WORDS or line.size < body)  # (smaller than the text: a browser's header)
    }
    furniture = numbers | repeated
    # pages of one layout (a form, a record a page) repeat every line, digits aside: a header frames a
    # body, so when nothing would be left, what repeats is the body
    lines = sum(len(page) for page in pages)
    return furniture if len(furniture) < lines else numbers


def _body_size(pages: list[list[Line]]) -> float:
    weights: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            weights[round(line.size, 1)] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 0.0


class TextBuilder:
    """The canonical text of a PDF, paragraph by paragraph, with where each page and line begins."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.pages: list[int] = []
        self.lines: list[tuple[int, int, int]] = []
        self.headings: list[Heading] = []
        self.last = ""  # the line just written
        self.last_heading = False
        self.last_code = False
        self.opened = False  # the line just written opened a paragraph
        self.code: list[tuple[int, int]] = []

    def write(self, piece: str) -> None:
        self.parts.append(piece)
        self.length += len(piece)

    def line(self, line: Line, page: int, separator: str) -> None:
        if self.parts:
            self.write(separator)
        self.lines.append((self.length, page, line.number))
        self.write(line.text)
        self.last = line.text

    def continues(self, line: Line) -> str:
        """The separator before `line` inside a paragraph: none after a hyphen that breaks a word."""
        last = self.last
        if len(last) > 1 and last.endswith("-") and last[-2].isalpha() and line.text[:1].islower():
            return ""
        return " "


def _heading_levels(pages: list[list[Line]], body: float) -> dict[float, int]:
    sizes = sorted({round(line.size, 1) for lines in pages for line in lines
                    if _is_heading_size(line, body)}, reverse=True)
    return {size: min(6, rank + 1) for rank, size in enumerate(sizes)}


def _is_heading_size(line: Line, body: float) -> bool:
    return body > 0 and line.size >= HEADING_SIZE * body and len(line.text.split()) <= HEADING_WORDS


CAPS_HEADING_WORDS = 5


def _is_caps_heading(line: Line) -> bool:
    """A short line in capitals at the body's size, ending no sentence: a section heading as manual pages
    and many reports set them ("DESCRIPTION", "EXIT STATUS"), run into the next paragraph before."""
    words = line.text.split()
    letters = [c for c in line.text if c.isalpha()]
    return (0 < len(words) <= CAPS_HEADING_WORDS and len(letters) >= 3 and all(c.isupper() for c in letters)
            and not SENTENCE_END.search(line.text.rstrip()))


def _usual_pitch(pages: list[list[Line]]) -> float:
    """The most common distance between a line and the next of the same size: the body's line spacing
    (a browser's PDF reports its fonts larger than they are set, so the font size alone misleads)."""
    pitches: Counter[float] = Counter()
    for lines in pages:
        for previous, line in itertools.pairwise(lines):
            gap = previous.end_top - line.top
            if previous.size == line.size and 0 < gap < 3 * line.size:
                pitches[round(gap, 1)] += 1
    return pitches.most_common(1)[0][0] if pitches else 0.0


def _is_label(line: Line, opened: bool) -> bool:
    """A term above its definition ("-a --ascii", "retry"): a short line opening its paragraph that ends no sentence."""
    return opened and not line.mono and len(line.text.split()) <= LABEL_WORDS and not SENTENCE_END.search(line.text)


def _separator(out: TextBuilder, previous: Line | None, line: Line, caps: bool, heading: bool, code: bool,
               pitch: float) -> str:
    """What goes between the line written last and `line` (`previous`: the line before it on this page)."""
    if previous is None:
        # a sentence broken across the page break goes on as one sentence
        joins = (bool(out.parts) and not heading and not out.last_heading and not code and not out.last_code
                 and not SENTENCE_END.search(out.last))
        return out.continues(line) if joins else "\n\n"
    new = _new_paragraph(previous, line, pitch)
    if heading and out.last_heading and not caps and not new:
        return " "  # a heading wrapped onto a second line
    if code and out.last_code and not new:
        return "\n"  # a code block keeps its lines
    if (not heading and not code and not out.last_heading and _is_label(previous, out.opened)
            and line.left > previous.left + 0.5 * line.size):
        return TERM_SEPARATOR  # a term and its definition, indented under it, on one line
    # a line further left than the one before, which ran on, starts a paragraph too
    if heading or out.last_heading or code or out.last_code or new or (
            line.left < previous.left - 0.5 * line.size and not out.opened):
        return "\n\n"
    return out.continues(line)


def build_text(pages: list[list[Line]], furniture: set[tuple[int, int]]) -> TextBuilder:
    """The pages' lines as canonical text: paragraphs joined, headings and labels kept on their own."""
    body = _body_size(pages)
    levels = _heading_levels(pages, body)
    pitch = _usual_pitch(pages)
    out = TextBuilder()
    synopsis = False  # inside a manual's synopsis: command lines
    for index, lines in enumerate(pages):
        out.pages.append(out.length)
        previous: Line | None = None
        for line in (line for line in lines if (index, line.order) not in furniture):
            sized = _is_heading_size(line, body)
            caps = not sized and _is_caps_heading(line)
            heading = sized or caps
            code = not heading and (line.mono or synopsis)
            separator = _separator(out, previous, line, caps, heading, code, pitch)
            start = out.length + (len(separator) if out.parts else 0)
            if previous is None:
                out.pages[-1] = start
            out.line(line, index + 1, separator)
            out.opened = separator == "\n\n"
            if heading and separator == " ":
                out.headings[-1] = dataclasses.replace(out.headings[-1], end=out.length)
            elif heading:  # a heading in capitals ranks below those set in larger type (never the title's)
                level = min(6, len(levels) + 2) if caps else levels.get(round(line.size, 1), 1)
                out.headings.append(Heading(start, out.length, level))
                synopsis = line.text.strip().casefold() in SYNOPSIS_HEADINGS
            if code and out.code and separator == "\n":
                out.code[-1] = (out.code[-1][0], out.length)
            elif code:
                out.code.append((start, out.length))
            out.last_heading, out.last_code = heading, code
            previous = line
    return out


def _new_paragraph(previous: Line | None, line: Line, pitch: float = 0.0) -> bool:
    """Whether `line` starts a paragraph after `previous` on the same page: a wider gap than the
    line spacing (`pitch`, the body's usual one), a change of font size, a move up the page (a new
    column) or a list item."""
    if previous is None:
        return True
    gap = previous.end_top - line.top
    size = max(previous.size, line.size, 1.0)
    wide = gap > PARAGRAPH_GAP * size or (pitch > 0 and gap > PARAGRAPH_PITCH * pitch)
    return (wide or gap < -0.5 * size or abs(previous.size - line.size) > 0.15 * size
            or bool(LIST_ITEM.match(line.text)) or (line.starts_paragraph and bool(SENTENCE_END.search(previous.text))))


def page_furniture(pages: list[list[Line]], furniture: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The running headers and footers left out, except on a page of some words where they would be
    every line (a page of a few lines that repeat elsewhere): that page is kept whole, not lost."""
    kept = set(furniture)
    for index, lines in enumerate(pages):
        words = sum(len(line.text.split()) for line in lines)
        if words >= MIN_PAGE_WORDS and all((index, line.order) in furniture for line in lines):
            kept -= {(index, line.order) for line in lines}
    return kept
