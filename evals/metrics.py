"""The eval figures as pure functions of what the assistant returned for each known question.

Nothing here runs the assistant: `evals/run.py` turns each answer into an `Outcome`, and the
functions below compute the figures from outcomes, so they can be checked by hand on a tiny fixture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# The calibration rule (also printed by `qa eval --calibrate`).
MAX_WRONGLY_ABSTAINED = 0.05
CALIBRATION_RULE = (
    "the threshold that abstains on the most unanswerable questions while abstaining on at most "
    f"{MAX_WRONGLY_ABSTAINED:.0%} of answerable ones, placed midway between the highest unanswerable "
    "confidence it catches and the next answerable confidence above it"
)


@dataclass(frozen=True)
class Outcome:
    """What the assistant returned for one known question, with the question's gold answers and sources.

    `answers` empty means the corpus cannot answer the question. `cited` holds, for each returned
    passage, the sources it cites (its own first, then the agreeing sources in `also_in`); `titles`, the
    title line its card shows above it (the document's title and the headings the passage is under).
    """

    answers: tuple[str, ...]
    sources: tuple[str, ...]
    passages: tuple[str, ...]
    cited: tuple[tuple[str, ...], ...]
    abstained: bool
    confidence: float
    seconds: float = 0.0
    citations_checked: int = 0
    citations_valid: int = 0
    titles: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def normalise(text: str) -> str:
    """Lower-cased, with every run of white space collapsed to one space."""
    return " ".join(text.lower().split())


def holds_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether one of the gold `answers` occurs inside `text` (both normalised)."""
    haystack = normalise(text)
    return any(normalise(answer) and normalise(answer) in haystack for answer in answers)


def answer_rank(outcome: Outcome, k: int | None = None) -> int | None:
    """The 1-based rank of the first of the first `k` passages that holds a gold answer, or None."""
    for rank, text in enumerate(outcome.passages[:k], start=1):
        if holds_answer(text, outcome.answers):
            return rank
    return None


def card_holds_answer(outcome: Outcome) -> bool:
    """Whether the first card holds a gold answer: its passage, or the title line above it (a changelog's
    "2.1.0 (2021-03-08) › Removed" over "Dropped support for Python 3.5")."""
    if not outcome.passages:
        return False
    title = outcome.titles[0] if outcome.titles else ""
    return holds_answer(f"{title}\n{outcome.passages[0]}", outcome.answers)


def card_at_1(outcomes: Sequence[Outcome]) -> float | None:
    """The share of answerable questions whose first card holds a gold answer (`card_holds_answer`)."""
    return _mean([card_holds_answer(o) for o in outcomes if o.answerable])


def source_recall(outcome: Outcome, k: int | None = None) -> float:
    """The share of the gold sources cited by the first `k` passages (their own or `also_in`)."""
    if not outcome.sources:
        return 0.0
    cited = {source for sources in outcome.cited[:k] for source in sources}
    return sum(source in cited for source in outcome.sources) / len(outcome.sources)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def answer_at(outcomes: Sequence[Outcome], k: int) -> float | None:
    """The share of answerable questions with a gold answer in the first `k` passages."""
    answerable = [o for o in outcomes if o.answerable]
    return _mean([answer_rank(o, k) is not None for o in answerable])


def mean_reciprocal_rank(outcomes: Sequence[Outcome], k: int) -> float | None:
    """Mean over answerable questions of 1 / rank of the first passage holding an answer (0 beyond `k`)."""
    ranks = [answer_rank(o, k) for o in outcomes if o.answerable]
    return _mean([1.0 / rank if rank else 0.0 for rank in ranks])


def mean_source_recall(outcomes: Sequence[Outcome], k: int) -> float | None:
    """Mean source recall at `k` over answerable questions."""
    return _mean([source_recall(o, k) for o in outcomes if o.answerable])


def citation_validity(outcomes: Sequence[Outcome]) -> float | None:
    """The share of returned citations that match their file, over all questions."""
    checked = sum(o.citations_checked for o in outcomes)
    return sum(o.citations_valid for o in outcomes) / checked if checked else None


@dataclass(frozen=True)
class Abstention:
    """Abstention scored as a detector of unanswerable questions (the positive class)."""

    precision: float | None  # of the abstentions, the share on unanswerable questions
    recall: float | None  # of the unanswerable questions, the share abstained on
    wrongly_abstained: float | None  # of the answerable questions, the share abstained on
    answerable: int
    unanswerable: int


def abstention(abstained: Sequence[bool], unanswerable: Sequence[bool]) -> Abstention:
    """Precision and recall of abstaining, and the rate of answerable questions abstained on."""
    true_positive = sum(a and u for a, u in zip(abstained, unanswerable, strict=True))
    false_positive = sum(a and not u for a, u in zip(abstained, unanswerable, strict=True))
    positives = sum(unanswerable)
    negatives = len(unanswerable) - positives
    return Abstention(
        precision=true_positive / (true_positive + false_positive) if true_positive + false_positive else None,
        recall=true_positive / positives if positives else None,
        wrongly_abstained=false_positive / negatives if negatives else None,
        answerable=negatives,
        unanswerable=positives,
    )


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` quantile (0..1), interpolated linearly between the two nearest values."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# ---- calibrating the abstain threshold --------------------------------------------------------------
def abstains_at(confidence: float, threshold: float) -> bool:
    """Whether an answer with `confidence` is withheld under `threshold` (the engine's rule)."""
    return confidence < threshold


def choose_abstain_threshold(
    answerable: Sequence[float], unanswerable: Sequence[float], max_wrongly_abstained: float = MAX_WRONGLY_ABSTAINED
) -> float:
    """The abstain threshold by CALIBRATION_RULE, from the confidences of answerable and
    unanswerable questions (a question abstains when its confidence is below the threshold).

    At most floor(max_wrongly_abstained * len(answerable)) answerable questions may fall below it,
    so it can rise up to the next answerable confidence (the cap); it catches the unanswerable
    questions below the cap, and sits midway between the highest of those and the next answerable
    confidence above it, so it abstains on as few answerable questions as that recall allows.
    """
    if not answerable:
        return round(max(unanswerable, default=0.0) + 1e-6, 6)
    allowed = math.floor(max_wrongly_abstained * len(answerable) + 1e-9)
    ordered = sorted(answerable)
    cap = ordered[allowed] if allowed < len(ordered) else math.inf
    caught = [c for c in unanswerable if c < cap]
    if not caught:
        return 0.0
    highest = max(caught)
    above = [c for c in ordered if c > highest]
    if not above:
        return round(highest + 1e-6, 6)
    return round((highest + above[0]) / 2, 6)


def roc_auc(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """The chance that a random positive scores above a random negative (ties count half; 0.5 is
    chance, 1.0 perfect): the area under the ROC curve, from ranks (Mann-Whitney U), so it takes
    n log n for two thousand scores a side. None without both."""
    if not positive or not negative:
        return None
    ordered = sorted([(value, True) for value in positive] + [(value, False) for value in negative],
                     key=lambda pair: pair[0])
    positive_ranks = 0.0
    first = 0
    while first < len(ordered):
        last = first
        while last < len(ordered) and ordered[last][0] == ordered[first][0]:
            last += 1
        average_rank = (first + 1 + last) / 2  # ties share the mean of ranks first+1 .. last
        positive_ranks += average_rank * sum(is_positive for _, is_positive in ordered[first:last])
        first = last
    n_positive, n_negative = len(positive), len(negative)
    return (positive_ranks - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative)


def separation(answerable: Sequence[float], unanswerable: Sequence[float]) -> float | None:
    """How well confidence tells answerable from unanswerable questions, whatever the threshold: the
    chance that a random answerable one scores above a random unanswerable one (`roc_auc`)."""
    return roc_auc(answerable, unanswerable)


def leave_one_out(
    answerable: Sequence[float], unanswerable: Sequence[float], max_wrongly_abstained: float = MAX_WRONGLY_ABSTAINED
) -> Abstention:
    """Abstention of each question under a threshold calibrated on all the others: an estimate of
    how the calibrated threshold does on questions it was not fitted on."""
    abstained: list[bool] = []
    labels: list[bool] = []
    for index, confidence in enumerate(answerable):
        others = [*answerable[:index], *answerable[index + 1 :]]
        abstained.append(abstains_at(confidence, choose_abstain_threshold(others, unanswerable, max_wrongly_abstained)))
        labels.append(False)
    for index, confidence in enumerate(unanswerable):
        others = [*unanswerable[:index], *unanswerable[index + 1 :]]
        abstained.append(abstains_at(confidence, choose_abstain_threshold(answerable, others, max_wrongly_abstained)))
        labels.append(True)
    return abstention(abstained, labels)
