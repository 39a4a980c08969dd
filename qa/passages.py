"""The small typed results every layer passes on: passages that carry their evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.documents.lines import ITEM, MARKDOWN_HEADING, Span
from qa.answer_types import AnswerType

# White space as laid out, and a word hyphenated by a typesetter at a line end (U+2010, a soft hyphen)
LAYOUT = re.compile(r"(?<=\w)([\u2010\u00ad][ \t]*(?:\r\n|\r|\n)\s*)(?=\w)|\s+")

if TYPE_CHECKING:
    from qa.timeline import Timeline


@dataclass(frozen=True)
class Citation:
    """Where a passage is: a file, its 1-based line, and character offsets into its canonical text.

    For a paged format (PDF), `page` is the 1-based page and `line` the line on that page."""

    source: str
    path: str
    line: int
    start: int
    end: int
    page: int | None = None
    date: str | None = None  # the document's own date, ISO at its precision ("2014-07"); None: undated

    @property
    def label(self) -> str:
        """The citation as a person reads and types it: `notes.txt:25`, `report.pdf:p3:12`."""
        if self.page is not None:
            return f"{self.source}:p{self.page}:{self.line}"
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class Dated:
    """A verbatim date from a passage's document (its date line), with where it is."""

    text: str
    citation: Citation


@dataclass(frozen=True)
class Passage:
    """A verbatim slice of a source file that answers (or comes closest to answering) a question."""

    text: str
    citation: Citation
    score: float
    title: str = ""
    answer: Span | None = None
    also_in: tuple[Citation, ...] = ()
    # For an answer that is a date without a year ("Wednesday", "November 30"): the document's own
    # date line, quoted and cited, so the date can be placed.
    dated: Dated | None = None

    @property
    def answer_offsets(self) -> tuple[int, int] | None:
        """The answer span in the passage's own text (the file's offsets less the passage's start)."""
        if self.answer is None:
            return None
        return self.answer.start - self.citation.start, self.answer.end - self.citation.start

    def readable(self) -> tuple[str, tuple[int, int] | None]:
        """The passage as a person reads it, and its answer span in that text: each run of white space
        one space (a wrapped line's break and indent too), but a list item or a Markdown heading on a line of
        its own ("• allow", "2. warn", "### Fixed"; the text under the heading on the next), and a word that a
        typesetter hyphenated at a line end ("informa‐\n   tion") whole again. The cited text is not changed."""
        offsets = self.answer_offsets
        pieces: list[str] = []
        moved = list(offsets) if offsets else []
        cursor = 0
        for found in LAYOUT.finditer(self.text):
            pieces.append(self.text[cursor : found.start()])
            joined = "" if found.group(1) else "\n" if "\n" in found.group() and (
                ITEM.match(self.text, found.end()) or MARKDOWN_HEADING.match(self.text, found.end())
                or MARKDOWN_HEADING.match(self.text, self.text.rfind("\n", 0, found.start()) + 1)) else " "
            for i, offset in enumerate(offsets or ()):
                if offset >= found.end():
                    moved[i] -= len(found.group()) - len(joined)
                elif offset > found.start():
                    moved[i] -= offset - found.start()
            pieces.append(joined)
            cursor = found.end()
        pieces.append(self.text[cursor:])
        text = "".join(pieces)
        lead = len(text) - len(text.lstrip())
        return text.strip(), (moved[0] - lead, moved[1] - lead) if moved else None

    @property
    def answer_text(self) -> str:
        """The words that answer, or the whole passage when no narrower span was found."""
        offsets = self.answer_offsets
        return self.text if offsets is None else self.text[offsets[0] : offsets[1]]


@dataclass(frozen=True)
class Ranks:
    """Where one chunk ranked in each retriever (1-based; None when outside the candidates)."""

    lexical: int | None
    dense: int | None
    fused: int


@dataclass(frozen=True)
class Unmet:
    """A constraint of the question that no passage satisfies (`qa.constraints`): who it asks about
    (`asked`, the question's words: "led the Cuban delegation"), of which time (`time`: "of 2010", "" for
    any), and what the closest passage says instead in its own words (`said`: "“Craig Kelley” led the U.S.
    delegation"; "" when it says nothing of it), perhaps of the one asked about but at another time."""

    asked: str
    time: str = ""
    said: str = ""
    another_time: bool = False


@dataclass(frozen=True)
class Shortfall:
    """What the first passage visibly lacks: an answer of the kind asked for (`kind`; None when it holds
    one), the question's words and numbers it does not say (`words`, the rarest first) and a constraint
    of the question that no passage satisfies (`unmet`)."""

    kind: AnswerType | None = None
    words: tuple[str, ...] = ()
    unmet: Unmet | None = None

    @property
    def nothing(self) -> bool:
        """Whether it lacks nothing that can be named."""
        return self.kind is None and not self.words and self.unmet is None


@dataclass(frozen=True)
class Answer:
    """What the assistant says to one question: the passages, best first, each cited; whether it
    abstained (the documents do not answer: `passages` are then the closest, not an answer) and why;
    the confidence (0..1); and, when documents of different dates answer differently, a timeline.

    question: as asked; query: as read (a follow-up with what it follows up on); stale: cited files
    that changed since they were indexed, whose passages were left out; seconds: time taken."""

    question: str
    query: str
    abstained: bool
    passages: tuple[Passage, ...]
    confidence: float
    stale: tuple[str, ...] = ()
    seconds: float = 0.0
    # What the first passage lacks: when abstaining, why; when answering, what a reader should check
    # before quoting it (`qa.render` says it in words).
    shortfall: Shortfall = Shortfall()
    # Different answers at different dates among the answering passages, oldest first (None when
    # the documents agree, or the question asks for no name, date, number or place).
    timeline: Timeline | None = None
    # Names of the question that no document of the index holds ("Mexico"): said before the rest.
    unknown: tuple[str, ...] = ()
    # The reading model that re-ranked the passages and marked their answers (None: the stage was off).
    reader: str | None = None

    @property
    def reworded(self) -> bool:
        """Whether the question was read as other words than it was asked in (a follow-up's topic)."""
        return self.query != " ".join(self.question.split())

    def to_json(self) -> dict[str, object]:
        """The answer in the documented JSON shape (`qa.render.answer_json`)."""
        from qa.render import answer_json  # the words about an answer are made there

        return answer_json(self)
