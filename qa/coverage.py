"""Words of a question that occur in no document at all: a general sign that the documents cannot answer.

"Who is the current president of Mexico?" over documents that never say "Mexico" cannot be answered
from them, whatever passage comes closest. A name counts most: a missing common word may be a
paraphrase, a missing name rarely is. A name is a capitalised word that does not open the question,
or a word that is no English word, whatever its case ("wireguard", "fread"); a number counts as one
("What changed in 3.12?" of documents that never say 3.12).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass

from index.terms import NUMBER_TOKEN
from qa.lexicon import CLITIC, is_english

QUESTION_WORD = re.compile(r"\d+(?:\.\d+)+|[^\W_][\w'’-]*")  # a dotted number ("3.12") is one word


@dataclass(frozen=True)
class Unknown:
    """The question's content words whose terms are in no document: names, and other words."""

    names: tuple[str, ...]
    words: tuple[str, ...]


def unknown_words(question: str, vocabulary: Container[str], terms: Callable[[str], list[str]],
                  function_terms: Container[str] = frozenset()) -> Unknown:
    """The words of `question` none of whose (stemmed) terms occur in `vocabulary` (the corpus's BM25
    terms), names (`is_name_word`) and numbers of two digits or more ("3.12", "2018": a version or a year
    the question is about) apart; function words never count."""
    names: list[str] = []
    words: list[str] = []
    for position, match in enumerate(QUESTION_WORD.finditer(question)):
        word = match.group(0)
        number = NUMBER_TOKEN.fullmatch(word)
        # a number is known only as itself, or as a release a document's number is of: "0.19.1" is not said
        # by "0.19.0", though both are of "0.19" (the term the index keeps for each)
        content = [number.group(1)] if number else [t for t in terms(word) if t not in function_terms]
        if not content or any(t in vocabulary for t in content):
            continue
        named = number is not None or is_name_word(word, position)  # "3.12", "2018"
        (names if named else words).append(word)
    return Unknown(tuple(dict.fromkeys(names)), tuple(dict.fromkeys(words)))


def is_name(word: str, position: int) -> bool:
    """Whether the `position`-th word of a question is a proper noun: capitalised, not opening it."""
    return word[0].isupper() and position > 0


def question_names(question: str) -> list[str]:
    """The names of a question, each once: capitalised words that do not open it, and words with a letter
    that are no English word, whatever their case ("rsync", "foreign_keys"); not numbers. A compound
    counts by its parts."""
    names: list[str] = []
    for position, match in enumerate(QUESTION_WORD.finditer(question)):
        word = CLITIC.sub("", match.group(0).replace("’", "'")) or match.group(0)
        # a compound's parts each ("cron-like": "cron"; "non-English": "English")
        names.extend(part for part in (word.split("-") if "-" in word.strip("-") else [word])
                     if part and not NUMBER_TOKEN.fullmatch(part) and is_name_word(part, position))
    return list(dict.fromkeys(names))


def is_name_word(word: str, position: int) -> bool:
    """Whether the `position`-th word of a question names something: capitalised and not opening it, or no
    English word (with a letter), whatever its case."""
    return is_name(word, position) or (any(c.isalpha() for c in word) and not is_english(word))
