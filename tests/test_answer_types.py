"""Answer types and their spans, on hand-written sentences and small folders."""
from __future__ import annotations

import re

import pytest

from qa.answer_types import AnswerType, answer_span, answer_type, without_type_words
from qa.render import lacks
from tests.conftest import assistant_over


# ---- answer types and spans on hand-written sentences -------------------------------------------
@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did the war end?", AnswerType.DATE),
        ("What year was the treaty signed?", AnswerType.DATE),
        ("How long ago was the accord signed?", AnswerType.DATE),
        ("How many people live there?", AnswerType.NUMBER),
        ("What percentage of voters turned out?", AnswerType.NUMBER),
        ("How long did the siege last?", AnswerType.NUMBER),
        ("Who wrote the report?", AnswerType.PERSON),
        ("Where was the meeting held?", AnswerType.PLACE),
        ("In which city did they meet?", AnswerType.PLACE),
        ("Which organization ran the program?", AnswerType.ORGANIZATION),
        ("Why did the talks fail?", AnswerType.OTHER),
        ("and since when has it applied?", AnswerType.DATE),
        ("the talks were suspended when?", AnswerType.DATE),
        # a "when" that opens a clause asks for no time
        ("What happens when the ice melts?", AnswerType.OTHER),
        ("When the company was sold, what was it called?", AnswerType.OTHER),
        # a version is a number ("Perl 5.10", "rustc 1.52.0"), not a name ("Python Package Index")
        ("Which version of Perl introduced the say function?", AnswerType.NUMBER),
        ("What is the latest version of pytz?", AnswerType.NUMBER),
        ("What does the new version do?", AnswerType.OTHER),
        # a default or a limit of a measure is a number; a release is a version
        ("What's the default busy timeout if I never set one?", AnswerType.NUMBER),
        ("What is the maximum recursion depth for a recursive CTE?", AnswerType.NUMBER),
        ("In which release did the unixepoch() function appear?", AnswerType.NUMBER),
        ("What is the default editor?", AnswerType.OTHER),
        # a command-line option ("-p", "--crate-name"); "what options ...?" asks for choices
        ("Which ssh option specifies the port?", AnswerType.OPTION),
        ("Which command-line flag tells rustdoc what the crate is named?", AnswerType.OPTION),
        ("What options does the new plan give tenants?", AnswerType.OTHER),
    ],
)
def test_answer_type_from_the_question_word(question: str, kind: AnswerType) -> None:
    assert answer_type(question) is kind


def test_a_default_asked_of_a_passage_without_a_number_is_cautioned(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    # a natural dev miss: "what's the default busy timeout?" was answered, uncautioned, by a passage that
    # names the timeout and says no value of it
    text = ("Busy handlers\n\nThe busy timeout handler sleeps and tries again while another connection holds a "
            "lock on the table.\n\nSet the busy timeout with the busy_timeout pragma or the C interface.\n")
    assistant, _ = assistant_over(tmp_path, encoder, {"busy.txt": text})
    answer = assistant.ask("What's the default busy timeout if I never set one?", top_k=3)
    assert "holds no number" in lacks(answer.shortfall), answer.shortfall


def test_an_option_is_marked_not_the_command_it_is_given_to() -> None:
    # a user trial (the rustdoc book): the mark was "$ rustdoc src/lib.rs", the passage's code, not the flag
    question = "Which command-line flag tells rustdoc what the crate is named?"
    sentence = "To fix this, we can pass in a command-line flag: $ rustdoc src/lib.rs --crate-name docs"
    found = answer_span(question, sentence)
    assert found is not None and sentence[found.start : found.end] == "--crate-name"
    words = "A well-known e-mail - not -5 or a dash - names no option."
    assert answer_span("Which option names it?", words) is None


def test_a_version_is_marked_whole_and_the_words_around_it_stay_what_the_question_is_about() -> None:
    # a user trial: "What is the latest version of pytz?" marked "Python Package Index", with no caution
    question = "Which Python version added the walrus operator?"
    assert without_type_words(question).split() == ["Python", "version", "added", "the", "walrus", "operator?"]
    for sentence, answer in [("The walrus operator was added in Python 3.8.0 after a long debate.", "3.8.0"),
                             ("It shipped in v1.2.3 of the tool, and 12.5 percent of users updated.", "v1.2.3")]:
        found = answer_span("Which version shipped it?" if answer == "v1.2.3" else question, sentence)
        assert found is not None and sentence[found.start : found.end] == answer


@pytest.mark.parametrize(
    ("question", "sentence", "answer"),
    [
        ("When did the bridge open?", "The bridge opened on March 3, 1921, after four years of work.", "March 3, 1921"),
        ("How many workers built it?", "Some 2,400 workers built the bridge in four years.", "2,400"),
        ("Who designed the bridge?", "The bridge was designed by engineer Joseph Strauss.", "Joseph Strauss"),
        ("Who led the delegation?", "Vice Foreign Minister Carlos Fernández de Cossío led the delegation.",
         "Carlos Fernández de Cossío"),
        ("Where did the delegates meet?", "The delegates met in Geneva for three days.", "Geneva"),
        ("Which team won the final?", "The Denver Broncos beat the Carolina Panthers in the final.", "Denver Broncos"),
        ("How long did the strike last?", "The strike lasted 45 days in all.", "45"),
        ("How many boats sailed?", "On July 9, 2014, 12 boats sailed from the port.", "12"),
        ("When was the castle built?", "The castle was built in the 10th century by the duke.", "the 10th century"),
        ("When was the town sacked?", "Raiders sacked the town in 1331 and burned its walls.", "1331"),
        ("When did he die?", "He died at 2:45 a.m. in his sleep.", "2:45 a.m."),
        ("How long has the magazine run?", "It has been published since 1979 by the BBC.", "since 1979"),
        ("When was he detained?", "He was detained by the police in December.", "December"),
        ("Where did the migrants travel?", "The migrants travelled through Central America.", "Central America"),
        ("How often is the fair held?", "The fair has been held twice a year since 1950.", "twice a year"),
        ("When did the talks end?", "The talks ended Wednesday without an agreement.", "Wednesday"),
    ],
)
def test_answer_span_marks_the_answer(question: str, sentence: str, answer: str) -> None:
    span = answer_span(question, sentence)
    assert span is not None and sentence[span.start : span.end] == answer


def test_a_manual_section_after_a_name_is_no_number_to_answer_with() -> None:
    # "zstd(1)" points to a manual page: "which version added --zstd?" has no answer in it
    question = "in which tar version was --zstd added?"
    assert answer_span(question, "--zstd  Filter the archive through zstd(1).") is None
    sentence = "The --zstd option was added in tar 1.31; see zstd(1)."
    span = answer_span(question, sentence)
    assert span is not None and sentence[span.start : span.end] == "1.31"


def test_nothing_inside_a_web_address_is_marked_as_the_answer() -> None:
    # a changelog's release heading links to its diff: the version marked is the link's text, not the
    # address's last number
    text = ("[2.1.0](https://example.org/tools/compare/2.0.0...2.1.0) - 2021-03-08 ### Removed\n"
            "- Support for Python 3.7.")
    span = answer_span("which version dropped support for python 3.7?", text)
    assert span is not None and (span.start, text[span.start : span.end]) == (1, "2.1.0")
    assert answer_span("how many tools are there?", "See https://example.org/tools/42 for the list.") is None


def test_a_weekday_abbreviation_alone_is_no_date() -> None:
    # "Sun" of Sun Microsystems, "Sat" of a satellite, "Wed" of a verb: only inside a whole date
    for sentence in ("It was the first release to provide free versions of Sun's Java technology.",
                     "The Mon and Fri builds of the project run on Sat-2 hardware."):
        assert answer_span("When was the first release made?", sentence) is None, sentence
    dated = "The mail was sent Sun, 12 Mar 2023 10:04:11."
    span = answer_span("When was the mail sent?", dated)
    assert span is not None and dated[span.start : span.end].startswith("Sun, 12 Mar 2023")


def test_answer_span_skips_what_the_question_already_says_and_follows_its_words() -> None:
    sentence = "Alex Lee led the U.S. delegation in July 2014, and Josefina Vidal led the Cuban delegation."
    first = answer_span("who led the U.S. delegation in July 2014?", sentence, _spans(sentence, ["U.S.", "July"]))
    second = answer_span("who led the Cuban delegation?", sentence, _spans(sentence, ["Cuban"]))
    assert sentence[first.start : first.end] == "Alex Lee"  # type: ignore[union-attr]
    assert sentence[second.start : second.end] == "Josefina Vidal"  # type: ignore[union-attr]
    assert answer_span("when did it happen in 2014?", "It happened in 2014.") is None
    # a count is not answered by the year or day of a date
    assert answer_span("how many delegates met?", "The delegates met on July 9, 2014, in Geneva.") is None


def test_a_name_is_marked_without_the_word_that_opens_its_sentence() -> None:
    """"When Alex Lee arrived ..." names Alex Lee; "For Flask there is ..." names nobody (a one-word run)."""
    sentence = "When Alex Lee arrived in Havana, the talks began at once."
    found = answer_span("who arrived in Havana?", sentence, _spans(sentence, ["arrived"]))
    assert found is not None and sentence[found.start : found.end] == "Alex Lee"
    assert answer_span("who created Flask?", "For Flask there is flask-oauthlib and Flask-Dance.") is None

def test_a_run_of_common_words_names_a_thing_not_a_person() -> None:
    """"Open Skies Agreement" and "Grand Slam" are capitalised runs of words a dictionary lists in lower
    case: things, not people; a name of a person has a word no dictionary lists as a common word ("Vidal")."""
    from qa.answer_types import AnswerType, candidate_spans

    sentence = "Under the Open Skies Agreement, signed before the Grand Slam, Josefina Vidal led the talks."
    found = [sentence[s.start : s.end] for s in candidate_spans(AnswerType.PERSON, sentence)]
    assert found == ["Josefina Vidal"]


def test_the_name_whose_clause_says_what_was_asked_is_marked_past_the_words_about_who_it_is() -> None:
    """"Josefina Vidal of the U.S. Division of the Cuban Ministry ... led the Cuban delegation": what
    she did comes after what she is; the other name's clause says it led the discussions for the
    United States."""
    sentence = ("Deputy Assistant Secretary Alex Lee led the discussions for the United States; Director "
                "General Josefina Vidal of the U.S. Division of the Cuban Ministry of Foreign Affairs led the "
                "Cuban delegation.")
    focus = [span for word in ("led", "Cuban", "delegation") for span in _all_spans(sentence, word)]
    found = answer_span("who led the Cuban delegation in 2015?", sentence, focus)
    assert found is not None and sentence[found.start : found.end] == "Josefina Vidal"
    focus = [span for word in ("led", "discussions") for span in _all_spans(sentence, word)]
    found = answer_span("who led the discussions for the United States?", sentence, focus)
    assert found is not None and sentence[found.start : found.end] == "Alex Lee"


def _all_spans(text: str, word: str):  # type: ignore[no-untyped-def]
    from index.documents.lines import Span

    return [Span(m.start(), m.end()) for m in re.finditer(re.escape(word), text)]


def _spans(text: str, words: list[str]):  # type: ignore[no-untyped-def]
    from index.documents.lines import Span

    return [Span(text.index(w), text.index(w) + len(w)) for w in words]


def test_a_version_in_the_heading_over_the_passage_answers_which_version() -> None:
    """A changelog's item far below its version's heading shows the version in its card's title line
    ("Changelog › 0.28.0 (28th November, 2024)"): the passage is not held to lack the answer. A section's
    own number ("3.5. The PRIMARY KEY") answers nothing, nor does the document's title."""
    from qa.judge import section_answers

    question = "which version removed the proxies argument?"
    assert section_answers(question, "Changelog › 0.28.0 (28th November, 2024)")
    assert section_answers(question, "Changelog › [25.4.0](https://example.org/compare/25.3.0...25.4.0) - 2025-06-02")
    assert section_answers("when was proxies deprecated?", "Changelog › 0.26.0 (20th December, 2023) › Deprecated")
    assert not section_answers(question, "SQL As Understood By SQLite › 3. Column Definitions › 3.5. The PRIMARY KEY")
    assert not section_answers(question, "Release notes 3.12")
    assert not section_answers(question, "Changelog › Removed")
