"""Finding the prose in a document and cutting it into sentence-aligned, overlapping chunks.

Every span is a pair of character offsets into the document's text, so a chunk, a sentence or a
passage is always `text[start:end]`, verbatim. Page furniture (menus, size pickers, player timers,
bylines, subscription footers) is left out by one general rule about what a line of prose looks
like: enough words, mostly letters, ending like a sentence, and no contact addresses.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.documents.formats import Extracted, Heading

from index.documents.dates import DATE
from index.documents.lines import BULLETS, ITEM, Span, indentation, line_bounds, logical_lines, wrap_width
from index.documents.sentences import split_sentences, trim_span

WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
URL = re.compile(r"\b(?:https?://|www\.)\S+")
# a list item's or a Markdown heading's marker, at the start of a line
SENTENCE_END = re.compile(r"""[.!?…:;]["'”’)\]]*$""")
MIN_PROSE_WORDS = 6
MIN_ITEM_WORDS = 4  # a list item of fewer words is a menu entry ("* Home", "- Share on Facebook")
MAX_LABEL_WORDS = 8  # a label names ("-i, --ignore-case", "Exit status"); it does not say
# a person's name and e-mail address in angle brackets: a signature, not a contact footer's bare address
ATTRIBUTION = re.compile(r"[^\W\d_][\w.'’-]*(?:[ \t]+[^\W\d_][\w.'’-]*)+[ \t]+<[^<>@\s]+@[^<>\s]+>")
MAX_ATTRIBUTION_WORDS = 16
# an indented term of at most three words, a gap of two spaces or more, and what the term means
DEFINITION = re.compile(r"[ \t]+\S+(?: \S+){0,2}(?: {2,}|\t[ \t]*)(\S.*)$", re.DOTALL)
LONG_LINE_WORDS = 12


def _line_spans(text: str) -> list[Span]:
    return [Span(start, end) for start, end in line_bounds(text)]


def is_prose(line: str) -> bool:
    """Whether a line reads as prose rather than page furniture."""
    words = WORD.findall(line)
    if len(words) < MIN_PROSE_WORDS:
        return False
    if EMAIL.search(line) or sum(len(m) for m in URL.findall(line)) > 0.3 * len(line):
        return False
    if line.count("·") + line.count(" | ") >= 2 or line.lstrip().startswith(("|", "#", "```")):
        return False
    visible = len(line) - sum(map(str.isspace, line))
    letters = sum(map(str.isalpha, line))
    if letters < 0.6 * visible:
        return False
    return bool(SENTENCE_END.search(line.rstrip())) or len(words) >= LONG_LINE_WORDS


def is_dateline(line: str) -> bool:
    """A short line that dates the text after it ("Havana, November 15, 2022")."""
    return bool(DATE.search(line)) and len(WORD.findall(line)) <= 8


def _logical_spans(text: str, width: int | None) -> list[Span]:
    return [Span(start, end) for start, end in logical_lines(text, width)]


def is_list_item(line: str) -> bool:
    """A list item that says something ("  * Fix the crash on empty input"; a bulleted "- First public
    release." too), not a menu entry ("* Home", "- Share on Facebook": no full stop) nor a numbered
    heading ("1. Source Code.")."""
    words = len(WORD.findall(line))
    said = words >= MIN_ITEM_WORDS or (words >= 2 and line.lstrip()[:1] in BULLETS
                                       and bool(SENTENCE_END.search(line.rstrip())))
    return bool(ITEM.match(line)) and said and is_text_line(line)


def is_attribution(line: str) -> bool:
    """A line that names a person by name and address ("-- Jane Doe <jane@example.org>  Mon, 3 Jun
    2024"), as changelogs, commit logs and mail sign: who wrote or did what the text says."""
    # the words counted first: the pattern backtracks over every word of a long line (quadratic)
    return len(WORD.findall(line)) <= MAX_ATTRIBUTION_WORDS and bool(ATTRIBUTION.search(line))


def is_definition(line: str) -> bool:
    """An indented line that names a term and, after a gap, says what it is ("  -t     sort by time,
    newest first"), as manuals and --help texts list their options."""
    found = DEFINITION.match(line)
    return bool(found) and len(WORD.findall(found.group(1))) >= MIN_ITEM_WORDS - 1 and is_text_line(found.group(1))


def is_label(line: str, following: str | None) -> bool:
    """A short line that names what the more indented text right under it says, as a manual names an
    option ("-i, --ignore-case") or a section ("DESCRIPTION") above its description."""
    return (following is not None and bool(WORD.search(line)) and len(WORD.findall(line)) <= MAX_LABEL_WORDS
            and indentation(following) > indentation(line) and is_text_line(following))


def prose_blocks(text: str) -> list[Span]:
    """Runs of prose lines (blank lines allowed inside), each a span of the text.

    A line is as its author wrote it: a hard-wrapped paragraph is one line (`index.documents.lines`). A
    dateline directly above a prose paragraph starts that paragraph's block; so does a label above
    the more indented text it names, and that text belongs to the block even when it is too short
    to read as prose. Items of a list and a sign-off that names a person count as prose.
    """
    blocks: list[Span] = []
    current: Span | None = None
    pending_dateline: Span | None = None
    under: int | None = None  # a label's text: lines this indented, right under it, belong to its block
    in_fence = False
    lines = _logical_spans(text, wrap_width(text))
    for number, raw in enumerate(lines):
        line = text[raw.start : raw.end]
        if line.lstrip().startswith("```"):
            in_fence, current, under = not in_fence, None, None
            continue
        if not line.strip():
            under = None
            continue
        span = trim_span(text, raw)
        if span is None:
            continue
        if in_fence:
            current, pending_dateline = None, None
            continue
        if under is not None and current is not None and indentation(line) >= under and is_text_line(line):
            current = blocks[-1] = Span(current.start, span.end)
            continue
        under = None
        following = text[lines[number + 1].start : lines[number + 1].end] if number + 1 < len(lines) else None
        if is_prose(line) or is_list_item(line) or is_attribution(line) or is_definition(line):
            if current is None:
                start = pending_dateline.start if pending_dateline else span.start
                current = Span(start, span.end)
                blocks.append(current)
            else:
                current = blocks[-1] = Span(current.start, span.end)
            pending_dateline = None
        elif is_label(line, following):
            current = Span(span.start, span.end)
            blocks.append(current)
            under, pending_dateline = indentation(following or ""), None
        else:
            current = None
            pending_dateline = span if is_dateline(line) else None
    return blocks


def approximate_tokens(text: str) -> int:
    """Word pieces a BERT-style tokenizer makes of `text`, roughly (never fewer than words)."""
    return sum(max(1, math.ceil(len(w) / 7)) for w in re.findall(r"\w+|[^\w\s]", text))


def _split_long(text: str, span: Span, max_tokens: int, count: Callable[[str], int]) -> list[Span]:
    """Cut an over-long sentence at white space into pieces that fit, never inside a word."""
    words = [
        Span(m.start() + span.start, m.end() + span.start) for m in re.finditer(r"\S+", text[span.start : span.end])
    ]
    pieces: list[Span] = []
    first, used = 0, 0
    for i, word in enumerate(words):
        size = count(text[word.start : word.end])
        if used + size > max_tokens and i > first:
            pieces.append(Span(words[first].start, words[i - 1].end))
            first, used = i, 0
        used += size
    pieces.append(Span(words[first].start, words[-1].end))
    return pieces


def chunk_spans(
    text: str,
    max_tokens: int = 160,
    overlap: int = 1,
    count_tokens: Callable[[str], int] = approximate_tokens,
    blocks: list[Span] | None = None,
) -> list[Span]:
    """Sentence-aligned chunks of the prose in `text` (or of `blocks` of it), each at most
    `max_tokens` word pieces.

    Consecutive chunks of one block share their last/first `overlap` sentences.
    """
    chunks: list[Span] = []
    width = wrap_width(text)
    for block in prose_blocks(text) if blocks is None else blocks:
        units: list[tuple[Span, int]] = []
        for sentence in split_sentences(text, block.start, block.end, width):
            size = count_tokens(text[sentence.start : sentence.end])
            if size <= max_tokens:
                units.append((sentence, size))
            else:
                units.extend(
                    (piece, count_tokens(text[piece.start : piece.end]))
                    for piece in _split_long(text, sentence, max_tokens, count_tokens)
                )
        window: list[tuple[Span, int]] = []
        for unit in units:
            if window and sum(size for _, size in window) + unit[1] > max_tokens:
                chunks.append(Span(window[0][0].start, window[-1][0].end))
                window = window[-overlap:] if overlap else []
                while window and sum(size for _, size in window) + unit[1] > max_tokens:
                    window.pop(0)
            window.append(unit)
        if window:
            chunks.append(Span(window[0][0].start, window[-1][0].end))
    return chunks


def document_title(text: str, fallback: str) -> str:
    """A document's headline: a Markdown heading, else a headline-like line above the first
    paragraph, else `fallback` (usually the file name)."""
    blocks = prose_blocks(text)
    limit = blocks[0].start if blocks else len(text)
    best = ""
    for raw in _line_spans(text[:limit]):
        line = text[raw.start : raw.end].strip()
        if line.startswith("# "):  # a Markdown heading above the text (not a shell prompt in an example)
            return line[2:].strip()
        words = line.split()
        if not 4 <= len(words) <= 20 or is_prose(line) or is_dateline(line):
            continue
        capitalised = sum(w[0].isupper() or not w[0].isalpha() for w in words if w[0].isalpha())
        alpha_words = sum(w[0].isalpha() for w in words) or 1
        if alpha_words >= 4 and capitalised / alpha_words >= 0.6 and len(line) > len(best):
            best = line
    return " ".join(best.split()) or fallback  # a man page spreads its header over the width


# ---- structured formats (Markdown, HTML, PDF, Word): headings are structure ----------------------
TITLE_SEPARATOR = " › "


def is_table_row(line: str) -> bool:
    """Whether a line is a row of a table as the extractors write one, its cells joined by " | " (`imap2 |
    143 | imaps | 993`), a word in one of its cells: a table's rows hold facts (ports, defaults, limits),
    however few letters they have."""
    cells = [cell.strip() for cell in line.split(" | ")]
    return len(cells) >= 2 and all(cells) and any(WORD.search(cell) for cell in cells)


def is_text_line(line: str) -> bool:
    """Whether a line of an authored or extracted document is text: words, mostly letters, or a table's
    row (`is_table_row`); not a table rule, a code fence, a comment or a line of links."""
    stripped = line.strip()
    if not stripped or stripped.startswith(("|", "<!--", "```", "~~~")):
        return False
    if not WORD.search(stripped):
        return False
    if sum(len(m) for m in URL.findall(stripped)) > 0.5 * len(stripped):
        return False
    if is_table_row(stripped):
        return True
    visible = sum(not c.isspace() for c in stripped)
    return sum(c.isalpha() for c in stripped) >= 0.5 * visible


def structured_blocks(text: str, headings: tuple[Heading, ...], title: str = "") -> list[Span]:
    """Runs of text lines (blank lines and rules such as `---` allowed inside), a heading always
    starting a new one: so a section's heading is the first sentence of its first chunk. A heading
    that is the document's `title` is left out: every chunk carries the title already."""
    titles = {h.start for h in headings if " ".join(text[h.start : h.end].split()) == title}
    heading_starts = sorted(h.start for h in headings if h.start not in titles)
    blocks: list[Span] = []
    current: Span | None = None
    in_fence = False
    for raw in _logical_spans(text, wrap_width(text)):
        line = text[raw.start : raw.end]
        first = bisect.bisect_left(heading_starts, raw.start)
        is_heading = first < len(heading_starts) and heading_starts[first] < max(raw.end, raw.start + 1)
        if line.lstrip().startswith(("```", "~~~")):
            in_fence, current = not in_fence, None
            continue
        if in_fence or not line.strip() or (not is_heading and not any(c.isalnum() for c in line)):
            continue
        if titles and any(raw.start <= start <= raw.end for start in titles):
            current = None
            continue
        span = trim_span(text, raw)
        if span is None:
            continue
        if is_heading or not is_text_line(line):
            current = None
        if is_heading or is_text_line(line):
            if current is None:
                current = Span(span.start, span.end)
                blocks.append(current)
            else:
                current = Span(current.start, span.end)
                blocks[-1] = current
    return blocks


def _with_text(blocks: list[Span], headings: tuple[Heading, ...], text: str) -> list[Span]:
    """The blocks less those that are a heading alone, with no text of its own under it ("CAT" above
    "NAME"): it is no passage, and the titles of the sections under it carry its words. A heading that
    dates or numbers a release ("24.1.0 - 2024-01-08" above "### Fixed") opens the block after it
    instead: it says when the release came out, which no line under it repeats, and a passage from it
    shows what the release did."""
    alone = {(h.start, h.end) for h in headings}
    kept: list[Span] = []
    opening: Span | None = None
    for block in blocks:
        if (block.start, block.end) in alone:
            opening = block if dates_a_release(text[block.start : block.end]) else None
            continue
        kept.append(block if opening is None else Span(opening.start, block.end))
        opening = None
    if opening is not None:  # the last block of the document: the heading is all there is of its release
        kept.append(opening)
    return kept


# A heading's own number ("3.1.1. Affinity Name Examples", "3.5. /boot : Static files", "2 Installation"):
# where it stands, not what it says; a release's number ends in no full stop ("24.1.0 - 2024-01-08")
SECTION_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)*(?:\.\s+|\s+(?=[^\W\d]))")
VERSION = re.compile(r"(?<![\w.])v?\d+(?:\.\d+)+(?![.\d]*\w)")  # "24.1.0", "v2.1", not "3.5." of a section
YEAR = re.compile(r"(?<![\w.])(?:1[6-9]|20)\d\d(?![\w.]\w)")


def dates_a_release(heading: str) -> bool:
    """Whether a heading, less its section number, holds a date, a year or a version number."""
    words = SECTION_NUMBER.sub("", plain_heading(heading))
    return bool(DATE.search(words) or VERSION.search(words) or YEAR.search(words))


# A Markdown link or image in a heading ("[25.4.0](https://github.com/.../compare/25.3.0...25.4.0)"): its text
MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")


def plain_heading(heading: str) -> str:
    """A heading as a title line shows it: one space between words, a Markdown link as its text (the
    address is no part of its name, and in every version's heading it would count as a word of each)."""
    return " ".join(MARKDOWN_LINK.sub(r"\1", heading).split())


def section_title(title: str, headings: tuple[Heading, ...], text: str, offset: int) -> str:
    """The title of a passage at `offset`: its document's title and the headings it is under
    ("releases.md › Version 1.0.0 (2015-05-15)")."""
    chain: list[Heading] = []
    for heading in headings:
        if heading.start > offset:
            break
        while chain and chain[-1].level >= heading.level:
            chain.pop()
        chain.append(heading)
    names = [plain_heading(text[h.start : h.end]) for h in chain]
    names = [name for name in names if name and name != title]
    return TITLE_SEPARATOR.join([title, *names]) if title else TITLE_SEPARATOR.join(names)


def document_blocks(extracted: Extracted) -> list[Span]:
    """The blocks of a document that chunks and passages come from: prose for plain text,
    sections of text lines for structured formats."""
    if extracted.structured:
        return _with_text(structured_blocks(extracted.text, extracted.headings, extracted.title), extracted.headings,
                          extracted.text)
    return prose_blocks(extracted.text)


def document_chunks(
    extracted: Extracted,
    fallback_title: str,
    max_tokens: int = 160,
    overlap: int = 1,
    count_tokens: Callable[[str], int] = approximate_tokens,
) -> list[tuple[Span, str]]:
    """A document's chunks, each with its title (for structured formats, its section's too)."""
    text = extracted.text
    if not extracted.structured:
        title = document_title(text, fallback_title)
        return [(span, title) for span in chunk_spans(text, max_tokens, overlap, count_tokens)]
    title = extracted.title or fallback_title
    spans = chunk_spans(text, max_tokens, overlap, count_tokens, blocks=document_blocks(extracted))
    titled = []
    for span in spans:
        line_end = text.find("\n", span.start, span.end)  # a heading on the chunk's first line is its section's
        titled.append((span, section_title(title, extracted.headings, text, span.end if line_end < 0 else line_end)))
    return titled
