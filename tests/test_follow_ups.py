"""Follow-ups, and what an answer is trusted with: a date without a year, a kind of answer or a year a
passage lacks, an item read with the release it is under."""
from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from index.ingest import ingest
from index.terms import TermCache
from qa.answer_types import AnswerType, answer_type
from qa.conversation import Conversation, is_follow_up, resolve_query, typed_question
from qa.engine import Assistant
from qa.render import caution_line, lacks
from tests.conftest import assistant_over

terms = TermCache()  # the BM25 terms, as an assistant reads them


# ---- follow-ups -----------------------------------------------------------------------------------
def test_follow_up_detection_and_query() -> None:
    assert is_follow_up("and the cuban side?", terms)
    assert is_follow_up("where was it held?", terms)
    assert is_follow_up("why?", terms)
    assert not is_follow_up("who led the us delegation at the july 2014 meeting?", terms)
    assert is_follow_up("how long had he been held by july 2014?", terms)  # a pronoun with no one named
    previous = "who led the us side in april 2022?"
    assert is_follow_up("who led the cubans?", terms, previous)  # short, shares "led", drops the date
    assert not is_follow_up("who led the cubans in 1994?", terms, previous)  # a date of its own
    assert not is_follow_up("what is the capital of france?", terms, previous)  # nothing shared
    history = ["who led the us delegation at the july 2014 meeting?"]
    query = resolve_query("and the cuban side?", history, terms)
    assert query.startswith("and the cuban side? and the cuban side?") and history[0] in query
    assert resolve_query("what is the capital of france?", history, terms) == "what is the capital of france?"


def test_answer_type_comes_from_the_follow_up_unless_it_has_no_question_word() -> None:
    history = ["who led the us delegation?"]
    assert answer_type(typed_question("where was it held?", history, terms)) is AnswerType.PLACE
    assert answer_type(typed_question("and the cuban side?", history, terms)) is AnswerType.PERSON


def test_conversation_on_the_corpus(assistant: Assistant) -> None:
    conversation = Conversation()
    turns = [
        ("who led the us delegation at the july 2014 meeting?", "Alex Lee"),
        ("and the cuban side?", "Josefina Vidal"),
        ("where was it held?", "Washington"),
    ]
    for question, expected in turns:
        answer = assistant.ask(question, conversation)
        assert expected in answer.passages[0].answer_text, (question, answer.passages[0].answer_text)
    assert len(conversation.turns) == 3 and conversation.turns[0].query == turns[0][0]


def test_a_follow_up_is_not_answered_with_the_answer_just_given(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """A follow-up asks for something new: the date just given is not given again, even from the
    sentence that matches the conversation best."""
    assistant, _ = assistant_over(tmp_path, encoder, {"harbour.txt": (
        "# The harbour\n\nThe old harbour wall collapsed during a winter storm in 1987, and the harbour was "
        "closed to shipping for several years after the storm.\nThe harbour reopened in 1993 once the new "
        "wall was finished.\n")})
    conversation = Conversation()
    first = assistant.ask("when did the harbour wall collapse in the storm?", conversation)
    assert first.passages[0].answer_text == "1987"
    follow_up = assistant.ask("and when did it reopen?", conversation)
    assert follow_up.passages[0].answer_text == "1993", [p.text for p in follow_up.passages]
    alone = assistant.ask(conversation.turns[-1].query)  # the same search, outside the conversation
    assert alone.passages[0].answer_text == "1987"


def test_a_follow_up_is_answered_by_its_own_words_not_by_the_earlier_questions_when_were(assistant: Assistant) -> None:
    """"and when were they resumed?" after "when were talks suspended?": the sentence that says they
    were resumed comes first, not one that only shares "talks were" with the earlier question."""
    conversation = Conversation()
    assistant.ask("when were talks suspended?", conversation)
    first = assistant.ask("and when were they resumed?", conversation).passages[0]
    assert "resumed" in first.text and first.answer_text == "July 2009", first.text


def test_a_third_turn_does_not_show_again_what_the_first_turn_answered(assistant: Assistant) -> None:
    """Asked in one conversation after "when were talks suspended?" and "and when were they resumed?",
    "and who led the cuban side?" asks for a name: the sentence that answered the first turn, which
    names no one, is not among its cards."""
    conversation = Conversation()
    first = assistant.ask("when were talks suspended?", conversation).passages[0]
    assert first.answer_text == "2003"
    assistant.ask("and when were they resumed?", conversation)
    third = assistant.ask("and who led the cuban side?", conversation, top_k=3)
    shown = [(p.citation.path, p.citation.start, p.citation.end) for p in third.passages]
    again = (first.citation.path, first.citation.start, first.citation.end)
    assert again not in shown, [p.text for p in third.passages]


def test_a_date_without_a_year_comes_with_the_documents_own_date(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """"Said Tuesday" cannot be quoted as a date on its own: the card also cites the document's
    date line, verbatim; an answer that carries its year needs no such help."""
    folder = tmp_path / "docs"
    folder.mkdir()
    text = ("# Harbour news\n\nPortville, March 3, 2021\n\nThe town council met for three hours to "
            "argue about the cost of repairs to the sea wall and the car park.\n\nThe harbour master said "
            "Tuesday that the new pier will open to fishing boats before the summer season begins.\nThe old "
            "pier was built in 1962 and has been closed to all boats since the storm damaged it badly.\n")
    (folder / "harbour.txt").write_text(text, encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest([folder], settings, encoder)
    assistant = Assistant.open(settings, encoder=encoder)
    said = assistant.ask("when did the harbour master speak about the new pier?").passages[0]
    assert said.answer_text == "Tuesday"
    assert said.dated is not None and said.dated.text == "March 3, 2021"
    assert text[said.dated.citation.start : said.dated.citation.end] == "March 3, 2021"
    assert said.dated.citation.line == 3
    built = assistant.ask("when was the old pier built?").passages[0]
    assert built.answer_text == "1962" and built.dated is None


def test_a_question_whose_passage_holds_no_answer_of_its_kind_is_not_trusted(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """"How many workers rebuilt the wall?" finds the sentence about the wall, but its only number
    is a year: that is no count, so the answer is far less sure than one that holds its count."""
    assistant, settings = assistant_over(tmp_path, encoder, {"harbour.txt": (
        "# The harbour\n\nThe winter storm of 1987 sank 14 fishing boats that were moored inside the old "
        "harbour.\nThe harbour wall was rebuilt in 1993 after a long argument about who should pay for it.\n")})
    counted = assistant.ask("how many fishing boats sank in the storm?")
    assert counted.passages[0].answer_text == "14"
    uncounted = assistant.ask("how many workers rebuilt the harbour wall?")
    assert "rebuilt in 1993" in uncounted.passages[0].text and uncounted.passages[0].answer is None
    # given anyway (no threshold here), the answer says what to check; the counted one says nothing
    assert caution_line(uncounted) == "Check before quoting: the first passage holds no number."
    assert counted.shortfall.nothing and caution_line(counted) == ""
    assert uncounted.confidence < counted.confidence / 2, (uncounted.confidence, counted.confidence)
    # under a threshold between the two, the count is withheld and the reason named
    strict = Assistant.open(settings.replace(abstain_threshold=counted.confidence / 2), encoder=encoder)
    withheld = strict.ask("how many workers rebuilt the harbour wall?")
    assert withheld.abstained and lacks(withheld.shortfall) == "holds no number and does not mention “workers”"
    assert not strict.ask("how many fishing boats sank in the storm?").abstained



def test_a_year_the_passages_document_never_says_is_not_trusted(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """"Why was the old pier rebuilt in 2004?" finds the pier's sentence, but the pier's document never
    says 2004 (another document does): it answers a question about another time, however well it reads."""
    assistant, settings = assistant_over(tmp_path, encoder, {
        "pier.txt": "# The pier\n\nThe old pier was rebuilt in 1993 by the town council after a winter storm had "
                    "broken it in two.\n",
        "museum.txt": "# The museum\n\nThe town museum opened in 2004 in the old customs house by the harbour.\n"})
    said = assistant.ask("why was the old pier rebuilt in 1993?")
    other_time = assistant.ask("why was the old pier rebuilt in 2004?")
    assert "winter storm" in said.passages[0].text and "winter storm" in other_time.passages[0].text
    assert caution_line(other_time) == "Check before quoting: the first passage does not mention “2004”."
    assert other_time.confidence < said.confidence / 4, (other_time.confidence, said.confidence)
    strict = Assistant.open(settings.replace(abstain_threshold=said.confidence / 4), encoder=encoder)
    withheld = strict.ask("why was the old pier rebuilt in 2004?")
    assert withheld.abstained and lacks(withheld.shortfall) == "does not mention “2004”"
    assert not strict.ask("why was the old pier rebuilt in 1993?").abstained
    # what it lacks is quoted as the question spells it
    museum = strict.ask("why was the old pier rebuilt by the Town Museum in 2004?")
    assert museum.abstained and lacks(museum.shortfall) == "does not mention “Museum” or “2004”"


def test_an_item_of_release_notes_is_read_with_the_release_it_is_under(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """Release notes list what changed under each release's heading: "which release dropped X?" is
    answered by the heading above the item, and a short item ("- First public release.") is indexed."""
    assistant, _ = assistant_over(tmp_path, encoder, {"releases.txt": (
        "Harbourctl release notes\n\nHarbourctl opens and closes the gates of a small harbour.\n\n"
        'Harbourctl 3.0 "Tern" (2021-03-08)\n\n- Gate logs can be exported to spreadsheet files.\n'
        "- Dropped support for the serial port driver.\n\n"
        'Harbourctl 2.0 "Gull" (2019-09-30)\n\n- Gates close in the order the operator gave them.\n\n'
        'Harbourctl 1.0 "Auk" (2018-04-12)\n\n- First public release.\n')})
    dropped = assistant.ask("which release dropped the serial port driver?").passages[0]
    assert dropped.text.startswith('Harbourctl 3.0 "Tern" (2021-03-08)'), dropped.text
    assert dropped.text.endswith("Dropped support for the serial port driver."), dropped.text
    first = assistant.ask("when was the first public release of harbourctl?").passages[0]
    assert first.text == 'Harbourctl 1.0 "Auk" (2018-04-12)\n\n- First public release.', first.text
    assert first.answer_text == "2018-04-12"
