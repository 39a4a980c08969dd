"""Answers over time: when documents of different dates give different answers, the answers in
date order, each with its date and citation, equal neighbours folded together."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from config.tuning import TUNED
from qa.passages import Citation, Passage

UNDATED = "undated"
# A question that asks for the present: the newest document leads, and says as of when.
PRESENT = re.compile(r"\b(?:current(?:ly)?|now|nowadays|today|presently|latest|most recent(?:ly)?|these days)\b",
                     re.IGNORECASE)
YEAR_NAMED = re.compile(r"(?<![\d.,])(1[89]\d{2}|20\d{2})(?![\d.,]\d)")


def asks_for_present(question: str) -> bool:
    """Whether the question asks how things stand now ("who is the current ...", "... now?")."""
    return bool(PRESENT.search(question))


def years_named(question: str) -> frozenset[int]:
    """The years a question keeps to ("in 2014", "at the 2010 talks")."""
    return frozenset(int(year) for year in YEAR_NAMED.findall(question))


@dataclass(frozen=True)
class TimelineEntry:
    """One document's answer: its date (ISO at its precision, or "undated"), the answer's words
    and where they are."""

    date: str
    answer: str
    citation: Citation
    page: int | None = None

    def to_json(self) -> dict[str, object]:
        row: dict[str, object] = {"date": self.date, "answer": self.answer, "source": self.citation.source,
                                  "line": self.citation.line, "start": self.citation.start, "end": self.citation.end}
        if self.page is not None:
            row["page"] = self.page
        return row


@dataclass(frozen=True)
class TimelineRun:
    """Neighbouring entries, in date order, that give the same answer ("Alex Lee — 2014-07, 2015-12-01")."""

    answer: str
    entries: tuple[TimelineEntry, ...]

    @property
    def dates(self) -> str:
        return ", ".join(entry.date for entry in self.entries)


@dataclass(frozen=True)
class Timeline:
    """Different answers at different dates, oldest first (undated entries last)."""

    entries: tuple[TimelineEntry, ...]
    runs: tuple[TimelineRun, ...]
    present: bool = False  # the question asked for the present

    @property
    def latest(self) -> TimelineEntry:
        dated = [entry for entry in self.entries if entry.date != UNDATED]
        return dated[-1] if dated else self.entries[-1]

    def to_json(self) -> list[dict[str, object]]:
        return [entry.to_json() for entry in self.entries]


def _date_order(entry: TimelineEntry) -> tuple[int, str]:
    return (entry.date == UNDATED, entry.date)


def build_timeline(entries: list[TimelineEntry], same_answer: Callable[[str, str], bool],
                   present: bool = False) -> Timeline | None:
    """The timeline of `entries` (one per document: its best answering passage's answer), or None
    when they do not disagree: fewer than two different answers, or all of one date.
    `same_answer(a, b)` says whether two answers name the same thing."""
    ordered = sorted(entries, key=_date_order)
    runs: list[list[TimelineEntry]] = []
    for entry in ordered:
        if runs and same_answer(runs[-1][0].answer, entry.answer):
            runs[-1].append(entry)
        else:
            runs.append([entry])
    distinct_answers = []
    for entry in ordered:
        if not any(same_answer(entry.answer, seen) for seen in distinct_answers):
            distinct_answers.append(entry.answer)
    dates = {entry.date for entry in ordered if entry.date != UNDATED}
    if len(distinct_answers) < 2 or len(dates) < 2:
        return None
    return Timeline(tuple(ordered), tuple(TimelineRun(run[0].answer, tuple(run)) for run in runs), present)


def year_of(date: str | None) -> int | None:
    """The year of an ISO date at any precision ("2014-07" → 2014); None when undated."""
    return int(date[:4]) if date and date[:4].isdigit() else None


def of_years(passage: Passage, years: frozenset[int]) -> bool:
    """Whether a passage belongs to one of `years`: its document is dated in one, or it is undated
    and names one."""
    year = year_of(passage.citation.date)
    return year in years if year is not None else any(str(y) in passage.text for y in years)


def timeline_of(question: str, passages: list[Passage],
                same_answer: Callable[[str, str], bool]) -> Timeline | None:
    """The timeline of the answering `passages` (best first), one entry per document: each
    passage's answer at its document's date, and the same answer at the dates of the sources folded
    into it ("also in"). A question that names a
    time keeps to it; one that asks for the present says so in its lead line."""
    years = years_named(question)
    entries: list[TimelineEntry] = []
    seen: set[str] = set()
    for passage in passages:
        if passage.answer is None or (years and not of_years(passage, years)):
            continue
        for citation in (passage.citation, *passage.also_in):
            if citation.path in seen:
                continue
            seen.add(citation.path)
            entries.append(TimelineEntry(citation.date or UNDATED, passage.answer_text, citation, citation.page))
    return build_timeline(entries, same_answer, present=asks_for_present(question))


def newest_first(passages: list[Passage], answering: list[Passage]) -> list[Passage]:
    """For a question that asks for the present: the answering passage of the newest document
    first (the one whose own date, or an agreeing source's, is latest), the rest as they were."""
    def newest(passage: Passage) -> str:
        return max((c.date for c in (passage.citation, *passage.also_in) if c.date), default="")

    dated = [p for p in answering if newest(p)]
    if not dated:
        return passages
    first = max(dated, key=newest)  # the earliest ranked of the newest, on a tie
    return [first, *(p for p in passages if p is not first)]


def over_time(question: str, pool: list[Passage], passages: list[Passage], top_k: int,
              lacking: Callable[[Passage], float], same_answer: Callable[[str, str], bool],
              ) -> tuple[list[Passage], Timeline | None]:
    """The timeline stage, for an answer that is given to a question asking for a name, date, number or
    place: the timeline of the passages of `pool` that mark an answer and lack little of the question
    (`lacking`), and for a question about the present `passages` with the newest answering one first."""
    answering = [p for p in pool if p.answer is not None and lacking(p) <= TUNED.timeline_max_lacking]
    timeline = timeline_of(question, answering, same_answer)
    if asks_for_present(question):
        passages = newest_first(pool, answering)[:top_k]
    return passages, timeline
