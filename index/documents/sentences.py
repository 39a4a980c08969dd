"""Sentences: a text's sentence spans, a line break or a stop that ends no abbreviation ending one."""

from __future__ import annotations

import bisect
import re

from index.documents.lines import LIST_MARK, Span, logical_lines

BULLET = re.compile(rf"^[ \t]*(?:{LIST_MARK}|#{{1,6}})[ \t]+", re.MULTILINE)  # a list mark or heading hashes
# A boundary: sentence punctuation, optional closing quotes/brackets, white space, then what can
# open a sentence. Whether the word before the stop is an abbreviation is checked separately.
BOUNDARY = re.compile(r"""([.!?…]+)["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])""")
ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st gen col lt sgt capt cmdr adm gov sen rep pres rev hon mt ft no nos vs
    etc inc ltd co corp dept univ est approx fig vol pp ch sec art jan feb mar apr jun jul aug sep
    sept oct nov dec mon tue tues wed weds thu thur thurs fri sat sun
    """.split()  # noqa: SIM905
)


def trim_span(text: str, span: Span) -> Span | None:
    """`span` without its list mark or heading hashes and the white space around it; None if nothing is left."""
    start, end = span.start, span.end
    match = BULLET.match(text, start, end)
    if match:
        start = match.end()
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def _is_abbreviation(text: str, stop: int) -> bool:
    """Whether the full stop at `stop` ends an abbreviation rather than a sentence."""
    if text[stop] != ".":
        return False
    begin = stop
    while begin > 0 and not text[begin - 1].isspace() and text[begin - 1] not in '(["“‘':
        begin -= 1
    token = text[begin:stop]
    if not token:
        return False
    if re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", token):  # U.S, D.C, e.g, i.e
        return True
    if len(token) == 1 and token.isupper():  # an initial: John F. Kennedy
        return True
    return token.lower() in ABBREVIATIONS


def split_sentences(text: str, start: int = 0, end: int | None = None, width: int | None = None) -> list[Span]:
    """Sentence spans inside `text[start:end]`. A line break ends a sentence, unless it only wraps
    the text at `width` (`index.documents.lines.wrap_width` of the whole text; None: every break is meant)."""
    end = len(text) if end is None else end
    sentences: list[Span] = []
    lines = logical_lines(text, width)
    first = max(0, bisect.bisect_right(lines, (start, len(text) + 1)) - 1)
    for line_start, line_end in lines[first:]:
        if line_start >= end:
            break
        line = trim_span(text, Span(max(start, line_start), min(end, line_end)))
        if line is None:
            continue
        cursor = line.start
        for match in BOUNDARY.finditer(text, line.start, line.end):
            stop = match.start(1) + len(match.group(1)) - 1
            if _is_abbreviation(text, stop):
                continue
            sentence_end = match.end() - (len(match.group(0)) - len(match.group(0).rstrip()))
            if sentence_end > cursor:
                sentences.append(Span(cursor, sentence_end))
            cursor = match.end()
        if line.end > cursor:
            sentences.append(Span(cursor, line.end))
    return sentences
