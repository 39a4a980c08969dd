"""A question's words that occur in no document of the corpus (a sign that it cannot be answered)."""

from __future__ import annotations

from index.lexical import terms
from qa.coverage import Unknown, unknown_words
from qa.engine import function_terms


def corpus_vocabulary(assistant) -> set[str]:  # type: ignore[no-untyped-def]
    return set(assistant.lexical.retriever.vocab_dict)


def test_a_name_in_no_document_is_unknown(assistant) -> None:  # type: ignore[no-untyped-def]
    vocabulary = corpus_vocabulary(assistant)
    found = unknown_words("Who is the current president of Mexico?", vocabulary, terms, function_terms())
    assert found.names == ("Mexico",)


def test_a_technical_term_in_no_document_is_unknown_and_function_words_never_are(assistant) -> None:  # type: ignore[no-untyped-def]
    vocabulary = corpus_vocabulary(assistant)
    found = unknown_words("Does a BTreeMap keep its keys in sorted order?", vocabulary, terms, function_terms())
    assert found.names == ("BTreeMap",)
    assert not {"Does", "a", "its", "in"} & set(found.words)


def test_a_question_the_corpus_speaks_of_has_no_unknown_words(assistant) -> None:  # type: ignore[no-untyped-def]
    vocabulary = corpus_vocabulary(assistant)
    found = unknown_words("Who led the Cuban delegation in 2015?", vocabulary, terms, function_terms())
    assert found == Unknown((), ())
