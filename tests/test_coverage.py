"""A question's words that occur in no document of the corpus (a sign that it cannot be answered)."""

from __future__ import annotations

from index.lexical import function_terms
from qa.coverage import Unknown, unknown_words
from qa.passages import Passage
from qa.render import abstain_line, caution_line


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
    from config.settings import SETTINGS_FILE, load_settings
    from qa.engine import Assistant

    calibrated = load_settings(environ={"QA_SETTINGS": str(SETTINGS_FILE)}).abstain_threshold  # the project's
    assistant = Assistant.open(corpus_settings.replace(abstain_threshold=calibrated), encoder)
    answer = assistant.ask("Who is the current president of Mexico?")
    assert answer.abstained and answer.unknown == ("Mexico",)
    assert abstain_line(answer).startswith("The documents do not answer this: no document mentions “Mexico”")
    # a name the documents do hold is no reason to abstain
    assert not assistant.ask("who led the Cuban delegation in 2015?").abstained


# ---- names and numbers that generalise: versions, site-wide text, names whatever their case --------------
def _assistant_over(folder, tmp_path, encoder):  # type: ignore[no-untyped-def]
    from config.settings import SETTINGS_FILE, Settings, load_settings
    from index.ingest import ingest
    from qa.engine import Assistant

    calibrated = load_settings(environ={"QA_SETTINGS": str(SETTINGS_FILE)}).abstain_threshold  # the project's
    settings = Settings(index=str(tmp_path / "index"), abstain_threshold=calibrated)
    ingest([folder], settings, encoder)
    return Assistant.open(settings, encoder)


RELEASE_NOTES = {
    "python-3.8.md": "# What's New In Python 3.8\n\nPython 3.8.12 is the twelfth maintenance release of Python 3.8.\n\n"
                     "## f-strings\n\nf-strings support = for self-documenting expressions and debugging: f'{user=}' "
                     "expands to the text of the expression, an equal sign, then the representation of the evaluated "
                     "expression.\n",
    "python-3.7.md": "# What's New In Python 3.7\n\nPython 3.7 makes the insertion-order preservation of dict objects "
                     "an official part of the language.\n\n## Data classes\n\nThe new dataclass decorator provides a "
                     "way to declare data classes, which generate special methods such as __init__ and __repr__.\n",
}


def test_a_version_matches_only_itself_3_12_is_not_in_3_8_12(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    from qa.sources import SourceText

    notes = SourceText("Python 3.8.12 is a maintenance release; Debian Reference 2.100; curl 7.88.1", [])
    assert not notes.mentions("3.12") and not notes.mentions("2")  # not "3.8.12", "2.100"
    assert notes.mentions("3.8") and notes.mentions("7.88") and notes.mentions("2.100")  # releases of them
    folder = tmp_path / "notes"
    folder.mkdir()
    for name, text in RELEASE_NOTES.items():
        (folder / name).write_text(text, encoding="utf-8")
    assistant = _assistant_over(folder, tmp_path, encoder)
    answer = assistant.ask("What changed about f-strings in 3.12?")
    assert answer.abstained and "3.12" in answer.unknown  # before: answered from "Python 3.8.12", "12" matched
    assert abstain_line(answer).startswith("The documents do not answer this: no document mentions “3.12”")
    assert not assistant.ask("What changed about f-strings in 3.8?").abstained
    # a release no document says, of a version one does: "3.8.11" is not said by "3.8.12", though both are of 3.8
    answer = assistant.ask("What changed about f-strings in 3.8.11?")
    assert answer.abstained and abstain_line(answer).startswith("The documents do not answer this: no document "
                                                                "mentions “3.8.11”")


CHANGES = ("# Changes\n\n"
           "## 2.2.0 - 2022-06-14\n\n### Added\n\n- A ruler that measures in inches as well as centimetres.\n\n"
           "### Fixed\n\n- The level no longer tilts when the bubble is warm.\n\n"
           "## 2.1.0 - 2021-03-08\n\n### Added\n\n- A pen that draws dotted lines.\n\n"
           "### Fixed\n\n- Saving a drawing twice no longer loses the second copy.\n\n"
           "## 2.0.0 - 2020-11-02\n\n### Removed\n\n- The old pencil tool, replaced by the pen.\n")


def test_a_release_date_in_a_changelog_heading_is_the_first_passage(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    # each release's date is said once, in its heading, with no text of its own under it
    folder = tmp_path / "changes"
    folder.mkdir()
    (folder / "CHANGES.md").write_text(CHANGES, encoding="utf-8")
    assistant = _assistant_over(folder, tmp_path, encoder)
    for question, date in (("when was 2.1.0 released?", "2021-03-08"), ("release date of 2.0.0", "2020-11-02")):
        answer = assistant.ask(question)
        assert not answer.abstained and date in answer.passages[0].text, question
    # an item under a release's second section is dated by the release, the nearest heading with a date
    # as a person reads it (the terminal, the app): the section's heading and each item on a line of its own
    release = assistant.ask("when was 2.1.0 released?").passages[0]
    assert release.readable()[0] == "2.1.0 - 2021-03-08\n### Added\n- A pen that draws dotted lines."
    assert Passage("1.0\n\n### Highlights\n\nIt is fast.", release.citation, 0.0).readable()[0] == (
        "1.0\n### Highlights\nIt is fast.")  # prose under a heading too
    # (the document's own date is its newest release's, 2022-06-14)
    saving = next(p for p in assistant.ask("does saving a drawing twice still lose a copy?").passages
                  if "Saving a drawing twice" in p.text)
    assert saving.title.endswith("2.1.0 - 2021-03-08 › Fixed") and saving.citation.date == "2021-03-08"


def _site_pages(folder, versions: list[str]) -> None:  # type: ignore[no-untyped-def]
    """A documentation site's pages as Markdown: the site's name after each page's title, a footer on each."""
    folder.mkdir()
    for version in versions:
        (folder / f"whatsnew-{version}.md").write_text(
            f"# What's New In Python {version} — Python 3.12.1 documentation\n\n"
            f"This article explains the new features in Python {version}, compared to the release before it.\n\n"
            f"## f-strings\n\nIn Python {version}, f-strings gained a change of their own: formatted string literals "
            "now support more of the expressions that can be written inside their braces.\n\n"
            "Flask Documentation (3.0.x) · Copyright 2010 Pallets\n", encoding="utf-8")


def test_a_title_suffix_every_page_carries_is_not_a_mention(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "site"
    _site_pages(folder, ["3.6", "3.7", "3.8"])
    assistant = _assistant_over(folder, tmp_path, encoder)
    # every page's title ends "— Python 3.12.1 documentation": no page speaks of 3.12
    answer = assistant.ask("What changed about f-strings in 3.12?")
    assert answer.abstained and answer.unknown == ("3.12",)
    assert not assistant.ask("What changed about f-strings in 3.7?").abstained


def test_a_name_only_a_footer_every_page_carries_says_is_in_no_document(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "site"
    _site_pages(folder, ["3.6", "3.7", "3.8"])
    answer = _assistant_over(folder, tmp_path, encoder).ask("Does Flask support f-strings?")
    assert "Flask" in answer.unknown
    assert caution_line(answer).startswith("Check before quoting: no document mentions “Flask”")


def test_an_unknown_product_name_is_abstained_on_whatever_its_capitalisation(  # type: ignore[no-untyped-def]
        corpus_settings, encoder) -> None:
    from config.settings import SETTINGS_FILE, load_settings
    from qa.engine import Assistant

    calibrated = load_settings(environ={"QA_SETTINGS": str(SETTINGS_FILE)}).abstain_threshold  # the project's
    assistant = Assistant.open(corpus_settings.replace(abstain_threshold=calibrated), encoder)
    for name in ("WireGuard", "wireguard", "WIREGUARD"):  # lower case was a common word before, and cost nothing
        answer = assistant.ask(f"does {name} support the migration talks?")
        assert answer.abstained and answer.unknown == (name,), name
        assert abstain_line(answer).startswith(f"The documents do not answer this: no document mentions “{name}”")
    assert not assistant.ask("who supports the migration talks?").abstained
