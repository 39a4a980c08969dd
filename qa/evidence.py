"""The general signals that a first passage answers its question, and the confidence made of them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from config.tuning import TUNED
from index.terms import NUMBER_TOKEN
from qa.answer_types import AnswerType
from qa.passages import Shortfall

# What a passage without an answer of the kind asked for costs, by kind (`config.tuning` says why).
MISSING_ANSWER_COST = {AnswerType.NUMBER: TUNED.missing_number_cost, AnswerType.DATE: TUNED.missing_date_cost}


@dataclass(frozen=True)
class Evidence:
    """General signals that a first passage answers its question.

    dense: the best chunk's cosine similarity to the question; lacking: the idf-weighted share of
    the question's content terms that the passage and its document's file name, title and date
    line lack; numbers_missing: the share of the question's numbers (years, say) missing from them;
    no_answer: the question asks for a `kind` of answer (a date, number, name or place) and the
    passage holds none (the year of a date is no count).
    """

    dense: float
    lacking: float
    numbers_missing: float
    no_answer: bool
    kind: AnswerType = AnswerType.OTHER
    absent_numbers: tuple[str, ...] = ()  # the question's numbers that the passage lacks
    about: str = field(default="", repr=False)  # the question without its answer-kind words
    absent_terms: frozenset[str] = field(default=frozenset(), repr=False)  # its content terms the passage lacks
    unknown_names: tuple[str, ...] = ()  # names of the question that no document holds
    foreign: float = 0.0  # the share of the question's names and numbers that the passage's document never says
    foreign_words: tuple[str, ...] = ()  # those names and numbers

    named: int = 0  # the question's names and numbers that some document says

    @property
    def unknown_numbers(self) -> tuple[str, ...]:
        """The numbers of the question that no document says ("3.12" of documents that say 3.8.12)."""
        return tuple(name for name in self.unknown_names if NUMBER_TOKEN.fullmatch(name))

    @property
    def unsaid(self) -> float:
        """The share of the question's names and numbers that the passage's document never says, those no
        document says included."""
        unknown = len(self.unknown_names)
        return (unknown + len(self.foreign_words)) / (unknown + self.named) if unknown + self.named else 0.0

    @property
    def total(self) -> float:
        """dense less the costs (`config.tuning`) of the share lacking, of the share of numbers missing, of a
        missing answer (`MISSING_ANSWER_COST`), of each unknown name and of the share the document never says."""
        cost = MISSING_ANSWER_COST.get(self.kind, TUNED.missing_answer_cost) if self.no_answer else 0.0
        return (self.dense - TUNED.lacking_cost * self.lacking - TUNED.numbers_missing_cost * self.numbers_missing
                - cost - TUNED.unknown_name_cost * len(self.unknown_names) - TUNED.foreign_cost * self.foreign)

    @property
    def confidence(self) -> float:
        """How sure the passage answers, 0..1: `total`, squashed (order kept)."""
        return 1.0 / (1.0 + math.exp(-TUNED.confidence_steepness * self.total))

    def shortfall(self, missing: tuple[str, ...]) -> Shortfall:
        """What the passage lacks, when abstaining: an answer of the kind asked for, and `missing`, the
        question's words it lacks (`judge.missing_words`)."""
        return self._lacks(missing)

    def caution(self) -> Shortfall:
        """What an answering passage visibly lacks, the two signals a reader can check at a glance:
        an answer of the kind asked for, and the question's numbers and the names its document never
        says."""
        return self._lacks(tuple(dict.fromkeys((*self.absent_numbers, *self.foreign_words))))

    def _lacks(self, words: tuple[str, ...]) -> Shortfall:
        unknown = {name.lower() for name in self.unknown_names}
        words = tuple(w for w in words if w.lower() not in unknown)  # said apart: no document has them
        return Shortfall(self.kind if self.no_answer else None, words[:MISSING_SHOWN])


MISSING_SHOWN = 3  # words named in a shortfall, the rarest first
QUESTION_WORD = re.compile(r"[\w’'.-]*\w")
