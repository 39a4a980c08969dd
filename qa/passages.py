"""The small typed results every layer passes on: passages that carry their evidence."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from index.documents.lines import ITEM, Span

# White space as laid out, and a word hyphenated by a typesetter at a line end (U+2010, a soft hyphen)
LAYOUT = re.compile(r"(?<=\w)([\u2010\u00ad][ \t]*(?:\r\n|\r|\n)\s*)(?=\w)|\s+")

if TYPE_CHECKING:
    from qa.timeline import Timeline


def quoted(words: tuple[str, ...]) -> str:
    """Words as a sentence names them: “a”, “a” or “b”, “a”, “b” or “c”."""
    marks = [f"“{word}”" for word in words]
    return marks[0] if len(marks) == 1 else ", ".join(marks[:-1]) + " or " + marks[-1]


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

    @property
    def dated_label(self) -> str:
        """The label after its document's date: `2022-04-20 · news.txt:12`, `undated · notes.txt:3`."""
        return f"{self.date or 'undated'} · {self.label}"


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
        one space (a wrapped line's break and indent too), but a list item on a line of its own ("• allow",
        "2. warn"), and a word that a typesetter hyphenated at a line end ("informa‐\n   tion") whole
        again. The cited text is not changed."""
        offsets = self.answer_offsets
        pieces: list[str] = []
        moved = list(offsets) if offsets else []
        cursor = 0
        for found in LAYOUT.finditer(self.text):
            pieces.append(self.text[cursor : found.start()])
            joined = "" if found.group(1) else "\n" if "\n" in found.group() and ITEM.match(
                self.text, found.end()) else " "
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
    # What the first passage lacks ("holds no date and does not mention “2018”"): when abstaining,
    # why; when answering, what a reader should check before quoting it ("" when nothing).
    shortfall: str = ""
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

    def _why(self, passage: str) -> str:
        parts = [f"no document mentions {quoted(self.unknown)}"] if self.unknown else []
        if self.shortfall:
            parts.append(f"{passage} {self.shortfall}")
        return "; ".join(parts)

    def abstain_line(self, closest: str) -> str:
        """The one line that says the documents do not answer, why, and (`closest`, when there are
        passages) what follows."""
        why = self._why("the closest passage")
        said = f"The documents do not answer this{': ' + why if why else ''}."
        return said + (f" {closest}" if self.passages else "")

    def caution_line(self) -> str:
        """For an answer that is given: what to check before quoting it ("" when nothing)."""
        why = self._why("the first passage")
        return f"Check before quoting: {why}." if why else ""

    def to_json(self) -> dict[str, object]:
        """The answer in the documented JSON shape (offsets are character offsets)."""
        return {
            "question": self.question,
            "query": self.query,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "passages": [
                {
                    "text": p.text,
                    "source": p.citation.source,
                    "line": p.citation.line,
                    "page": p.citation.page,
                    "date": p.citation.date,
                    "start": p.citation.start,
                    "end": p.citation.end,
                    "score": round(p.score, 4),
                    "title": p.title,
                    "answer": None if p.answer is None else {"start": p.answer.start, "end": p.answer.end},
                    "also_in": [
                        {k: v for k, v in asdict(c).items() if k != "path"} for c in p.also_in
                    ],
                    "dated": None if p.dated is None else {
                        "text": p.dated.text, **{k: v for k, v in asdict(p.dated.citation).items() if k != "path"}
                    },
                }
                for p in self.passages
            ],
            "stale": list(self.stale),
            "shortfall": self.shortfall or None,
            "unknown": list(self.unknown),
            "timeline": [] if self.timeline is None else self.timeline.to_json(),
            "timeline_lead": None if self.timeline is None else self.timeline.lead_line(),
            "reader": self.reader,
        }
