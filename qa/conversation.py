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


WH_TERMS = {"what", "when", "where", "who", "whom", "whose", "which", "why", "how", "mani", "much", "did", "do", "doe"}


def resolve_query(question: str, history: Sequence[str], terms: Callable[[str], list[str]]) -> str:
    """The text to search for: the question itself, or, for a follow-up, the question followed by
    the query of the turn before (which may itself carry older context)."""
    if not history or not is_follow_up(question, terms):
        return question
    return f"{question.strip()} {history[-1].strip()}"
