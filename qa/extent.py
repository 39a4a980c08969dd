"""How far a passage reaches: the best sentence with just enough of its paragraph around it (what it
refers back to, the heading or label above it, the sentence an explanation runs on to, the list it
introduces)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol

from config.tuning import TUNED
from index.documents.chunking import is_dateline
from index.documents.lines import ITEM, LIST_MARK, Span, indentation
from qa.answer_types import AnswerType, answer_span, answer_type
from qa.sources import SourceText


class Placed(Protocol):
    """A sentence as a passage grows from it: its document, paragraph (block), index and span in it,
    and whether it holds an answer of the kind asked for."""

    @property
    def source(self) -> SourceText: ...
    @property
    def block(self) -> int: ...
    @property
    def index(self) -> int: ...
    @property
    def span(self) -> Span: ...
    @property
    def has_shape(self) -> bool: ...


# Words that open a sentence which leans on the one before it.
REFERRING = re.compile(
    r"^(?:this|that|these|those|it|its|they|their|them|he|she|his|her|such|there|the same|both|"
    r"however|but|also|meanwhile|instead|then|thus|therefore)\b",
    re.IGNORECASE,
)


def passage_span(best: Placed, question: str | None = None) -> Span:
    """The best sentence with just enough context (at most `TUNED.passage_sentences`, within its
    paragraph but for a sentence that a line break cut, and a last one that ends in a colon or a comma).

    Before it: the sentence before, when it opens by referring back ("It ...", "However ...") or
    follows a date line. After it: the next sentence, when the sentence is very short; for a
    question that wants a date, number, name or place, when the sentence has none and the next
    one has; for other questions (what, why, how), always, because an explanation usually runs on
    (measured on SQuAD's tune split: `qa bench squad --tune`).
    """
    sentences = best.source.sentences(best.block)
    if best.span != sentences[best.index]:  # a piece of a sentence too long for one chunk: the piece alone
        return best.span
    first = last = best.index
    text = best.source.text
    sentence = text[best.span.start : best.span.end]
    heading = is_heading_line(text, best.span)
    if first > 0:
        before = sentences[first - 1]
        # (a label line is not labelled again: "OPTIONS" above "-c, --close" above what it does)
        if (REFERRING.match(sentence) or is_dateline(text[before.start : before.end])
                or (labels(text, before, best.span) and not heading)):
            first -= 1
    # an item of a list whose paragraph opens with a heading or a date line ('Tidewater 3.0 "Heron"
    # (2021-03-08)' above "- Dropped support for ...") is read from that heading: it says what the item is of
    if (first > 0 and is_list_item_at(text, sentences, best.index) and best.span.end - sentences[0].start <= LIST_CHARS
            and (is_heading_line(text, sentences[0]) or is_dateline(text[sentences[0].start : sentences[0].end]))):
        first = 0
    # a heading ("Ownership Rules") says what follows: its first sentence comes with it, beyond the count
    budget = TUNED.passage_sentences + (1 if heading else 0)
    if heading and last + 1 < len(sentences):
        last += 1
        sentence = text[sentences[last].start : sentences[last].end]
    if last + 1 < len(sentences) and last - first + 1 < budget:
        after = sentences[last + 1]
        kind = answer_type(question) if question else AnswerType.OTHER
        if kind is AnswerType.OTHER:
            runs_on = question is not None
        else:
            runs_on = not best.has_shape and shaped(question or "", text[after.start : after.end])
        if runs_on or len(sentence.split()) < TUNED.short_sentence_words:
            last += 1
    # a sentence that ends in a colon introduces what follows (a list, the rules it names): it comes
    # with it, as far as `LIST_CHARS`
    while last + 1 < len(sentences) and sentences[last + 1].end - sentences[first].start <= LIST_CHARS and (
            opens_list(text, sentences[last]) or introduced(text, sentences, first, last)):
        last += 1
    # nor does it stop or start inside a sentence that a line break cut ("To differentiate these," above
    # "is.nan(xx) is only TRUE for NaNs.": a PDF's lines, a wrapped text's)
    while (last + 1 < len(sentences) and sentences[last + 1].end - sentences[first].start <= LIST_CHARS
           and runs_on_to(text, sentences[last], sentences[last + 1])):
        last += 1
    while (first > 0 and sentences[last].end - sentences[first - 1].start <= LIST_CHARS
           and runs_on_to(text, sentences[first - 1], sentences[first])):
        first -= 1
    return Span(sentences[first].start, _past_paragraph(best, sentences, sentences[first], sentences[last]))


def _past_paragraph(best: Placed, sentences: list[Span], first: Span, last: Span) -> int:
    """Where a passage ends: at its last sentence, or, when that sentence ends its paragraph in a colon or a
    comma ("Examples:", "To differentiate these,"), past what it introduces, as far as `LIST_CHARS`: the
    text before the next paragraph that is no paragraph's (examples, code), else the next paragraph's first
    sentence or list item (not a heading)."""
    text, blocks = best.source.text, best.source.blocks
    colon = opens_list(text, last)
    if last != sentences[-1] or not (colon or text[last.start : last.end].rstrip().endswith(",")):
        return last.end
    following = blocks[best.block + 1].start if best.block + 1 < len(blocks) else len(text)
    between = text[last.end : following].rstrip()
    if between.strip():
        end = last.end + len(between)
        return end if colon and end - first.start <= LIST_CHARS else last.end
    opening = best.source.sentences(best.block + 1)[0] if best.block + 1 < len(blocks) else None
    if (opening and opening.end - first.start <= LIST_CHARS
            and (not is_heading_line(text, opening) or ITEM.match(text, text.rfind("\n", 0, opening.start) + 1))):
        return opening.end
    return last.end


@lru_cache(maxsize=4096)
def shaped(question: str, sentence: str) -> bool:
    """Whether `sentence` holds an answer of the kind `question` asks for. Remembered: a sentence's
    passage is measured for each sentence before it, and again when the passages are built."""
    return answer_span(question, sentence) is not None


LIST_CHARS = 700  # the most a passage grows to bring the list its last sentence introduces (chosen by hand)
LIST_ITEM = re.compile(rf"\n[ \t]*{LIST_MARK}[ \t]+$")  # a line that opens as a list item


def is_list_item_at(text: str, sentences: list[Span], index: int) -> bool:
    """Whether sentence `index` opens an item of a list (its line starts with a bullet or a number)."""
    return index > 0 and bool(LIST_ITEM.search(text, sentences[index - 1].end, sentences[index].start))


def introduced(text: str, sentences: list[Span], first: int, last: int) -> bool:
    """Whether `sentences[last]` is an item of a list that a sentence of the passage introduced (ends with
    a colon) and the next sentence is another item of it."""
    if last + 1 >= len(sentences):
        return False
    opened = any(opens_list(text, s) for s in sentences[first:last])
    return opened and is_list_item_at(text, sentences, last + 1)


def opens_list(text: str, sentence: Span) -> bool:
    """Whether a sentence ends in a colon: it introduces what follows."""
    return text[sentence.start : sentence.end].rstrip().endswith(":")


def runs_on_to(text: str, sentence: Span, following: Span) -> bool:
    """Whether `sentence` breaks off where `following` goes on: it ends in a comma or a word, not as a
    heading does, and `following` opens in lower case (the splitter took a line break for its end)."""
    words = text[sentence.start : sentence.end].rstrip()
    return (words.endswith(",") or words[-1:].isalnum()) and text[following.start : following.start + 1].islower() \
        and not is_heading_line(text, sentence)


def labels(text: str, label: Span, sentence: Span) -> bool:
    """Whether `label` is a heading line that names the more indented text `sentence` opens, as a
    manual names an option ("-i, --ignore-case") above its description."""
    return is_heading_line(text, label) and _indentation_at(text, sentence.start) > _indentation_at(text, label.start)


def _indentation_at(text: str, offset: int) -> int:
    """The indentation of the line `offset` is on."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", start)
    return indentation(text[start : end if end >= 0 else len(text)])


def is_heading_line(text: str, span: Span) -> bool:
    """Whether a sentence is a heading line: a line to itself with no closing punctuation."""
    line_start = text.rfind("\n", 0, span.start) + 1
    words = text[span.start : span.end].rstrip()
    return (not text[line_start : span.start].strip(" \t#") and text.startswith("\n", span.end)
            and not words.endswith((".", "!", "?", ":", ";", ",")) and len(words.split()) <= 12)
