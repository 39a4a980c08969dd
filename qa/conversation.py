"""Follow-up questions: a short question that leans on the one before is asked with its context."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

FOLLOW_UP_OPENING = re.compile(
    r"^\s*(?:and|but|also|so|then|what about|how about|and what|what of|same for|or)\b", re.IGNORECASE
)
BACK_REFERENCE = re.compile(
    r"\b(?:it|its|they|them|their|that|this|those|these|there|then|he|she|him|her|his|hers|the same|"
    r"the other|the latter|the former)\b",
    re.IGNORECASE,
)
MAX_OWN_TERMS = 3


def is_follow_up(question: str, terms: Callable[[str], list[str]]) -> bool:
    """Whether `question` only makes sense after the question before it."""
    own = [t for t in terms(question) if t not in WH_TERMS]
    if FOLLOW_UP_OPENING.match(question):
        return True
    if not own:
        return True
    return len(own) <= MAX_OWN_TERMS and bool(BACK_REFERENCE.search(question))


WH_TERMS = {"what", "when", "where", "who", "whom", "whose", "which", "why", "whi", "how", "mani", "much", "did", "do",
            "doe"}


WH_WORD = re.compile(r"\b(?:what|when|where|who|whom|whose|which|why|how)\b", re.IGNORECASE)


CONTEXT_QUESTIONS = 2  # a follow-up leans on at most this many earlier questions


def follow_up_topic(question: str, history: Sequence[str], terms: Callable[[str], list[str]]) -> list[str]:
    """The questions a turn is about: itself, and for a follow-up the topic of the turn before,
    kept to the latest `CONTEXT_QUESTIONS` before it (`history` holds earlier topics, one
    question per line)."""
    own = question.strip()
    if not history or not is_follow_up(question, terms):
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
    if not history or WH_WORD.search(question) or not is_follow_up(question, terms):
        return question
    return f"{history[-1].strip()} {question.strip()}"
