"""The timeline eval: questions whose answer depends on the date (`evals/timeline.jsonl`, written
from the articles and never used to tune anything), scored by the (date, answer) pairs an answer
shows: its timeline's entries, or, without one, its first passage's answer and the sources folded
into it. Precision: the share of pairs shown that a question's list holds; recall: the share of
the list shown. A question about the present must also lead with its newest document.

    {"id", "question", "pairs": [[date, answer], ...], "latest": date | null}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.terms import normal_words

if TYPE_CHECKING:
    from qa.engine import Assistant
    from qa.passages import Answer

TIMELINE_SET = Path(__file__).resolve().parent / "timeline.jsonl"


@dataclass(frozen=True)
class TimelineCase:
    """One question with the (date, answer) pairs the documents give for it."""

    id: str
    question: str
    pairs: tuple[tuple[str, str], ...]
    latest: str | None


def load_cases(path: Path = TIMELINE_SET) -> list[TimelineCase]:
    """The cases of a timeline set."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            cases.append(TimelineCase(row["id"], row["question"], tuple((d, a) for d, a in row["pairs"]),
                                      row.get("latest")))
    return cases


def shown_pairs(answer: Answer) -> list[tuple[str, str]]:
    """The (date, answer) pairs an answer shows."""
    if answer.abstained or not answer.passages:
        return []
    if answer.timeline is not None:
        return [(entry.date, entry.answer) for entry in answer.timeline.entries]
    first = answer.passages[0]
    if first.answer is None:
        return []
    return [(c.date or "undated", first.answer_text) for c in (first.citation, *first.also_in)]


def matches(shown: tuple[str, str], gold: tuple[str, str]) -> bool:
    """A shown pair is a gold one: the same date, and every word of the gold answer in the shown
    answer (accents and case aside: "Josefina Vidal" in "Josefina Vidal Ferreiro")."""
    return shown[0] == gold[0] and set(normal_words(gold[1]).split()) <= set(normal_words(shown[1]).split())


@dataclass(frozen=True)
class TimelineScore:
    """The pairs shown and expected over a set, and how many match."""

    shown: int
    right: int
    expected: int
    found: int
    present: int  # questions about the present
    present_led: int  # ... whose first passage is of the newest date

    def figures(self) -> dict[str, float | None]:
        return {
            "timeline_precision": self.right / self.shown if self.shown else None,
            "timeline_recall": self.found / self.expected if self.expected else None,
            "timeline_latest_first": self.present_led / self.present if self.present else None,
        }


def score_timeline(assistant: Assistant, cases: list[TimelineCase], top_k: int) -> TimelineScore:
    """Ask each case on its own and count the pairs."""
    shown = right = expected = found = present = led = 0
    for case in cases:
        answer = assistant.ask(case.question, top_k=top_k)
        pairs = shown_pairs(answer)
        shown += len(pairs)
        right += sum(any(matches(pair, gold) for gold in case.pairs) for pair in pairs)
        expected += len(case.pairs)
        found += sum(any(matches(pair, gold) for pair in pairs) for gold in case.pairs)
        if case.latest is not None:
            present += 1
            led += bool(answer.passages) and answer.passages[0].citation.date == case.latest
    return TimelineScore(shown, right, expected, found, present, led)
