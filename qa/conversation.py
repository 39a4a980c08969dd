"""Follow-up questions: a short question that leans on the one before is asked with its context."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qa.english.terms import asking_terms, grammar_terms
from qa.english.words import THIRD_PERSON_PRONOUNS, WH_WORDS

if TYPE_CHECKING:
    from qa.sentences import Shown

FOLLOW_UP_OPENING = re.compile(
    r"^\s*(?:and|but|also|so|then|what about|how about|and what|what of|same for|or)\b", re.IGNORECASE
)
BACK_REFERENCE = re.compile(
    r"\b(?:it|its|they|them|their|that|this|those|these|there|then|he|she|him|her|his|hers|the same|"
    r"the other|the latter|the former)\b",
    re.IGNORECASE,
)
MAX_OWN_TERMS = 3
# A personal pronoun names someone or something from before even in a longer question.
PERSONAL_REFERENCE = re.compile(rf"\b(?:{'|'.join(THIRD_PERSON_PRONOUNS)})\b", re.IGNORECASE)
MAX_OWN_TERMS_WITH_PRONOUN = 6


def is_follow_up(question: str, terms: Callable[[str], list[str]], previous: str | None = None) -> bool:
    """Whether `question` only makes sense after the question before it: it opens like a
    continuation ("and ...", "what about ..."), has no words of its own ("why?"), has a personal
    pronoun and not many words ("how long had he been held by july 2014?"), or is short and
    either refers back ("where was it held?") or, with no number of its own, shares a word with the
    question before (`previous`) while leaving out the rest of it ("who led the cubans?" after
    "who led the us side in april 2022?")."""
    own = [t for t in terms(question) if t not in asking_terms() and t not in grammar_terms()]
    if FOLLOW_UP_OPENING.match(question):
        return True
    if not own:
        return True
    if PERSONAL_REFERENCE.search(question) and len(own) <= MAX_OWN_TERMS_WITH_PRONOUN:
        return True
    if len(own) > MAX_OWN_TERMS:
        return False
    if BACK_REFERENCE.search(question):
        return True
    if previous is None or re.search(r"\d", question):
        return False
    before = set(terms(previous)) - asking_terms()
    return bool(before & set(own)) and len(before - set(own)) > 0


WH_WORD = re.compile(rf"\b(?:{'|'.join(WH_WORDS)})\b", re.IGNORECASE)


CONTEXT_QUESTIONS = 2  # a follow-up leans on at most this many earlier questions


def follow_up_topic(question: str, history: Sequence[str], terms: Callable[[str], list[str]]) -> list[str]:
    """The questions a turn is about: itself, and for a follow-up the topic of the turn before,
    kept to the latest `CONTEXT_QUESTIONS` before it (`history` holds earlier topics, one
    question per line)."""
    own = question.strip()
    asked_again = bool(history) and own.lower() == history[-1].splitlines()[0].strip().lower()
    if not history or asked_again or not is_follow_up(question, terms, history[-1]):
        return [own]
    return [own, *history[-1].splitlines()[:CONTEXT_QUESTIONS]]


def resolve_query(question: str, history: Sequence[str], terms: Callable[[str], list[str]]) -> str:
    """The text to search for: the question itself, or, for a follow-up, the question followed by
    the questions it leans on. The follow-up's own words come twice, so that they weigh more than
    the context."""
    topic = follow_up_topic(question, history, terms)
    if len(topic) == 1:
        return topic[0]
    own = topic[0]
    return " ".join([own, own, *topic[1:]] if terms(own) else topic)


def typed_question(question: str, history: Sequence[str], terms: Callable[[str], list[str]]) -> str:
    """The question whose wording decides the kind of answer wanted: the follow-up itself when it
    has a question word ("where was it held?"), else, for an elliptical follow-up ("and the cuban
    side?"), that follow-up read after the question before it."""
    if not history or WH_WORD.search(question) or not is_follow_up(question, terms, history[-1]):
        return question
    return f"{history[-1].strip()} {question.strip()}"


@dataclass(frozen=True)
class ConversationTurn:
    """One question asked in a conversation, as the turns after it need to know it."""

    query: str  # what was searched
    question: str  # the question whose wording decides the kind of answer (`typed_question`)
    topic: str  # the questions it is about, one a line (`follow_up_topic`)
    shown: Shown | None  # its first passage, unless it abstained


@dataclass
class Conversation:
    """The turns so far, so that a follow-up can lean on the question before it."""

    turns: list[ConversationTurn] = field(default_factory=list)

    @property
    def topics(self) -> list[str]:
        """Each turn's topic, oldest first."""
        return [turn.topic for turn in self.turns]

    @property
    def questions(self) -> list[str]:
        """Each turn's typed question, oldest first."""
        return [turn.question for turn in self.turns]

    @property
    def last_shown(self) -> Shown | None:
        """The first passage the latest turn showed (None before any, or when it abstained)."""
        return self.turns[-1].shown if self.turns else None

    def shown_before_last(self, turns: int) -> tuple[Shown, ...]:
        """The first passages that the `turns` turns before the latest one showed, newest first
        (those that abstained showed none)."""
        recent = self.turns[-1 - max(turns, 0) : -1][::-1]
        return tuple(turn.shown for turn in recent if turn.shown is not None)
