"""The rank stage: every sentence of the verified chunks scored, best first, then kept to the time the
question names."""

from __future__ import annotations

import numpy as np

from qa.lookups import Lookups
from qa.sentences import ScoredSentence, Shown, Weights, rank_verified
from qa.timeline import year_of, years_named
from qa.verify import Verified


def rank(question: str, query: str, verified: Verified, lookups: Lookups, weights: Weights,
         vector: np.ndarray | None = None, before: Shown | None = None) -> list[ScoredSentence]:
    """The sentences of `verified`, best first (`rank_verified`), those of another year than the
    question names after the others (`keep_to_years`)."""
    sentences = rank_verified(question, query, verified, lookups, weights, vector, before)
    return keep_to_years(sentences, years_named(question), lookups)


def keep_to_years(sentences: list[ScoredSentence], years: frozenset[int], lookups: Lookups) -> list[ScoredSentence]:
    """For a question that names a time ("in 2014"): the sentences of documents dated in another
    year after the others (the ranking within each part kept). An undated document is not moved:
    a passage that merely names the year ("the first talks since 2018") is not of that time."""
    if not years:
        return sentences

    def of_another_time(s: ScoredSentence) -> bool:
        year = year_of(lookups.date_of(s.source, s.candidate.chunk.source, s.candidate.chunk.title))
        return year is not None and year not in years

    return sorted(sentences, key=of_another_time)
