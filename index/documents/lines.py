"""Lines of a text: the one place line numbers and line bounds are computed (citations, chunks, the
source viewer and the eval's citation check all agree)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, order=True)
class Span:
    """Character offsets `[start, end)` into a document's text."""

    start: int
    end: int


def line_of(text: str, offset: int) -> int:
    """The 1-based line number of `offset` in `text`."""
    return text.count("\n", 0, offset) + 1


def line_bounds(text: str) -> list[tuple[int, int]]:
    """`(start, end)` of each line of `text`, its line break left out (\\n, \\r\\n or any break
    `str.splitlines` knows)."""
    bounds, offset = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        bounds.append((offset, offset + len(body)))
        offset += len(line)
    return bounds


# ---- hard-wrapped text: lines broken only because the next word did not fit -----------------------
# Man pages, e-mail, RFCs, plain-text books and many Markdown and text files are wrapped at a fixed
# width, so a sentence runs over several lines. Scraped and exported text puts a paragraph on one
# line, and there a line break always means something. Which of the two a text is shows in its
# lengths: a wrapped text has many lines of nearly one length.
BULLETS = "-*+•"  # the marks of an unnumbered list item
LIST_MARK = rf"(?:[{BULLETS}]|\d{{1,3}}[.)])"  # a list item's marker: a bullet or a number
ITEM = re.compile(rf"[ \t]*{LIST_MARK}[ \t]+")  # a list item's marker, at the start of a line
MARKDOWN_HEADING = re.compile(r"#{1,6}[ \t]+\S")  # "### Fixed": a Markdown heading, at the start of a line
# a heading, a code fence, a table row, a quote, a rule or an underline: never the run of a sentence
STRUCTURE = re.compile(r"[ \t]*(?:#{1,6}(?:[ \t]|$)|```|~~~|\||>|([=*_-])[ \t]*(?:\1[ \t]*){2,}$)")
WRAP_LIMITS = (40, 120)  # the widths text is wrapped at (columns)
WRAP_PAIRS = 3  # the fewest pairs of lines one of which runs on into the other, to call a text wrapped
FULL_LINE = 0.75  # a line this share of the width or longer counts as filled up
FILLED_SHARE = 0.6  # ... and a wrapped text fills this share of such lines at least
MID_SENTENCE_SHARE = 1 / 3  # ... and of its filled lines, this share at least runs on in lower case
# a line runs on into the next when the next line's first word would not have fitted within this
# share of the width (1.0 for a greedy wrapper; fmt and par aim at about 93 % of the width)
RUNS_ON = 0.85


def indentation(line: str) -> int:
    """The columns of white space a line opens with (a tab to the next multiple of 8)."""
    expanded = line.expandtabs()
    return len(expanded) - len(expanded.lstrip())


def _column_width(line: str) -> int:
    return len(line.rstrip().expandtabs())


def _may_run_on(line: str, following: str, opens: bool = False) -> bool:
    """Whether `following` could carry on the text of `line`: neither is blank or structure, and
    `following` is indented as `line` is, as the text of the list item `line` opens, or, when `line`
    opens a paragraph (`opens`), less: a paragraph whose first line alone is indented."""
    if not line.strip() or not following.strip() or STRUCTURE.match(line) or STRUCTURE.match(following):
        return False
    if ITEM.match(following):
        return False
    item = ITEM.match(line)
    indent = indentation(following)
    return indent in (indentation(line), len(item.group().expandtabs()) if item else -1) or (
        opens and not item and indent < indentation(line))


@lru_cache(maxsize=8)
def wrap_width(text: str) -> int | None:
    """The width `text` was hard-wrapped at, or None when its line breaks are all meant (one
    paragraph a line, as web pages and exported documents are saved)."""
    lines = text.splitlines()
    # a line too short to have been broken by a wrap at the narrowest width (a name in a list of
    # names, a short command) says nothing of the width: left out, it does not outweigh the prose
    pairs = [(width, following.lstrip()[0].islower())
             for number, (line, following) in enumerate(itertools.pairwise(lines))
             if (width := _column_width(line)) >= RUNS_ON * WRAP_LIMITS[0]
             and _may_run_on(line, following, number == 0 or not lines[number - 1].strip())]
    if len(pairs) < WRAP_PAIRS:
        return None
    width = sorted(w for w, _ in pairs)[int(0.9 * (len(pairs) - 1))]
    if not WRAP_LIMITS[0] <= width <= WRAP_LIMITS[1]:
        return None
    filled = [lower for w, lower in pairs if w >= FULL_LINE * width]
    # most breaks of wrapped prose fall inside a sentence, before a word in lower case; a menu's or a
    # list's lines of one length each open with a capital
    if len(filled) < FILLED_SHARE * len(pairs) or sum(filled) < MID_SENTENCE_SHARE * len(filled):
        return None
    return width


def runs_on(line: str, following: str, width: int | None, opens: bool = False) -> bool:
    """Whether the break between `line` and `following` was made by wrapping at `width`: the
    first word of `following` would not have fitted on `line` (`opens`: `line` opens a paragraph)."""
    if width is None or not _may_run_on(line, following, opens):
        return False
    return _column_width(line) + 1 + len(following.split()[0]) > RUNS_ON * width


@lru_cache(maxsize=8)
def logical_lines(text: str, width: int | None) -> tuple[tuple[int, int], ...]:
    """`(start, end)` of each line of `text` as its author wrote it: physical lines that a wrap at
    `width` broke are joined into one (the line breaks stay inside it); blank lines are kept."""
    joined: list[tuple[int, int]] = []
    before = previous = ""  # the two physical lines before this one
    for start, end in line_bounds(text):
        line = text[start:end]
        if joined and runs_on(previous, line, width, opens=not before.strip()):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
        before, previous = previous, line
    return tuple(joined)
