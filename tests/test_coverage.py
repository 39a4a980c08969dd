"""A question's words that occur in no document of the corpus (a sign that it cannot be answered)."""

from __future__ import annotations

from qa.coverage import Unknown, unknown_words
from qa.engine import function_terms


def corpus_vocabulary(assistant):  # type: ignore[no-untyped-def]
    return assistant.lexical  # holds a term when some chunk does


def test_a_name_in_no_document_is_unknown(assistant) -> None:  # type: ignore[no-untyped-def]
    vocabulary = corpus_vocabulary(assistant)
    found = unknown_words("Who is the current president of Mexico?", vocabulary, assistant.terms, function_terms())
    assert found.names == ("Mexico",)


def test_a_technical_term_in_no_document_is_unknown_and_function_words_never_are(assistant) -> None:  # type: ignore[no-untyped-def]
    vocabulary = corpus_vocabulary(assistant)
    question = "Does a BTreeMap keep its keys in sorted order?"
    found = unknown_words(question, vocabulary, assistant.terms, function_terms())
    assert found.names == ("BTreeMap",)
    assert not {"Does", "a", "its", "in"} & set(found.words)


def test_a_question_the_corpus_speaks_of_has_no_unknown_words(assistant) -> None:  # type: ignore[no-untyped-def]
    vocabulary = corpus_vocabulary(assistant)
    found = unknown_words("Who led the Cuban delegation in 2015?", vocabulary, assistant.terms, function_terms())
    assert found == Unknown((), ())


def test_a_question_whose_name_is_in_no_document_is_not_answered_and_says_which(  # type: ignore[no-untyped-def]
        corpus_settings, encoder) -> None:
    from index.settings import SETTINGS_FILE, load_settings
    from qa.engine import Assistant

    calibrated = load_settings(environ={"QA_SETTINGS": str(SETTINGS_FILE)}).abstain_threshold  # the project's
    assistant = Assistant.open(corpus_settings.replace(abstain_threshold=calibrated), encoder)
    answer = assistant.ask("Who is the current president of Mexico?")
    assert answer.abstained and answer.unknown == ("Mexico",)
    assert answer.abstain_line("").startswith("The documents do not answer this: no document mentions “Mexico”")
    # a name the documents do hold is no reason to abstain
    assert not assistant.ask("who led the Cuban delegation in 2015?").abstained
