"""The closed classes of `qa.english.words` as the index's terms: stemmed by its own stemmer
(`index.lexical.tokenize`), so that no list is written in stems ("why" is the term "whi")."""

from __future__ import annotations

from functools import cache

from index.lexical import tokenize
from qa.english.words import AUXILIARIES, DO_FORMS, PRONOUNS, QUANTITY_WORDS, WH_WORDS


def terms_of(words: tuple[str, ...]) -> frozenset[str]:
    """The terms of `words` (a stop word has none)."""
    return frozenset(t for terms in tokenize(list(words)) for t in terms)


@cache
def question_terms() -> frozenset[str]:
    """The terms of the wh-words: they say what kind of answer is wanted, not what it is about."""
    return terms_of(WH_WORDS)


@cache
def asking_terms() -> frozenset[str]:
    """The terms of the words a question asks with: wh-words, "how many/much", "did"."""
    return terms_of((*WH_WORDS, *QUANTITY_WORDS, *DO_FORMS))


@cache
def grammar_terms() -> frozenset[str]:
    """The terms of pronouns and auxiliaries that the BM25 stop-word list keeps: not a question's topic."""
    return terms_of((*PRONOUNS, *AUXILIARIES))
