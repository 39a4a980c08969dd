"""Words of a question that occur in no document at all: a general sign that the documents cannot answer.

"Who is the current president of Mexico?" over documents that never say "Mexico" cannot be answered
from them, whatever passage comes closest. A proper noun (a capitalised word that does not open the
question) counts most: a missing common word may be a paraphrase, a missing name rarely is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass

QUESTION_WORD = re.compile(r"[^\W_][\w'’-]*")


@dataclass(frozen=True)
class Unknown:
    """The question's content words whose terms are in no document: names, and other words."""

    names: tuple[str, ...]
    words: tuple[str, ...]


def unknown_words(question: str, vocabulary: Container[str], terms: Callable[[str], list[str]],
                  function_terms: Container[str] = frozenset()) -> Unknown:
    """The words of `question` none of whose (stemmed) terms occur in `vocabulary` (the corpus's BM25
    terms), proper nouns apart; function words and numbers never count."""
    names: list[str] = []
    words: list[str] = []
    for position, match in enumerate(QUESTION_WORD.finditer(question)):
        word = match.group(0)
        content = [t for t in terms(word) if t not in function_terms and not t.isdigit()]
        if not content or any(t in vocabulary for t in content):
            continue
        (names if is_name(word, position) else words).append(word)
    return Unknown(tuple(dict.fromkeys(names)), tuple(dict.fromkeys(words)))


def is_name(word: str, position: int) -> bool:
    """Whether the `position`-th word of a question is a proper noun: capitalised, not opening it."""
    return word[0].isupper() and position > 0


def question_names(question: str) -> list[str]:
    """The proper nouns of a question (capitalised words that do not open it), each once."""
    return list(dict.fromkeys(m.group(0) for position, m in enumerate(QUESTION_WORD.finditer(question))
                              if is_name(m.group(0), position)))
