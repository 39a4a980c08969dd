"""Document dates: found by general patterns in a document's top lines, title or file name, or
its metadata; never guessed."""

from __future__ import annotations

from pathlib import Path

from index.documents.dates import find_document_date
from qa.passages import Citation
from qa.render import dated_label, lead_line
from qa.timeline import TimelineEntry, asks_for_present, build_timeline, years_named


def test_a_dateline_is_the_date_and_is_cited_by_its_span() -> None:
    text = "Harbour Gazette\n\nPortsmouth, March 3, 2021\n\nThe council said Tuesday that the wall would be rebuilt.\n"
    found = find_document_date(text, "gazette.txt")
    assert found is not None and found.iso == "2021-03-03" and found.found_in == "text"
    assert text[found.span.start : found.span.end] == "March 3, 2021"


def test_a_date_opening_the_first_paragraph_counts_when_there_is_no_dateline() -> None:
    text = "PORTSMOUTH, Weds. 4 August 2021: The council met today to discuss the harbour wall and its cost.\n"
    assert find_document_date(text, "x.txt").iso == "2021-08-04"


def test_the_file_name_dates_a_text_with_no_date_at_its_top_at_the_precision_written() -> None:
    text = "The council met to discuss the harbour wall. In 1994 a storm broke it.\n"
    assert find_document_date(text, "2014-07-harbour.txt").iso == "2014-07"
    assert find_document_date(text, "minutes_20190312.md").iso == "2019-03-12"
    assert find_document_date(text, "2010-editorial.txt").iso == "2010"


def test_a_date_line_carrying_its_time_of_day_and_zone_is_a_dateline() -> None:
    stamped = "less (590-2) — Sun, 12 Mar 2023 12:18:18 -0400\n\n  * d/control: set standards version to 4.6.2\n"
    found = find_document_date(stamped, "less_590-2.txt")
    assert found is not None and found.iso == "2023-03-12"
    assert stamped[found.span.start : found.span.end] == "12 Mar 2023"
    opening = "NEW YORK, April 20, 2022, 10:30 a.m. EDT: The talks began with a statement by both delegations.\n"
    assert find_document_date(opening, "x.txt").iso == "2022-04-20"
    event = "The talks were held on April 20, 2022 12:00 and many other things happened after them.\n"
    assert find_document_date(event, "x.txt") is None


def test_a_short_line_of_month_and_year_at_the_top_dates_a_text_at_that_precision() -> None:
    # the Apache License's opening lines: it was "undated", though it says when it was issued
    licence = ("                                 Apache License\n                           Version 2.0, January 2004\n"
               "                        http://www.apache.org/licenses/\n\n   TERMS AND CONDITIONS FOR USE\n")
    found = find_document_date(licence, "LICENSE.txt")
    assert found is not None and found.iso == "2004-01"
    assert licence[found.span.start : found.span.end] == "January 2004"
    dateline = "Release notes\nMarch 2019\n\nSofia, April 2, 2019\n\nThe release was delayed by a week.\n"
    assert find_document_date(dateline, "notes.txt").iso == "2019-04-02"  # a full date comes first
    told = "In January 2004 the foundation published a second version of its licence, which many projects use.\n"
    assert find_document_date(told, "x.txt") is None  # a long line's month is an event's


def test_no_date_is_guessed() -> None:
    text = "The council met to discuss the harbour wall. It was built in 1994, on May 5.\n" * 3
    assert find_document_date(text, "chapter-2048.md") is None  # a year still to come is no date
    assert find_document_date(text, "python-3.11-notes.txt") is None
    assert find_document_date("Filed 03/04/2015, a day of rain.", "notes.txt") is None  # March or April?


def test_metadata_dates_a_document_that_says_nothing_else() -> None:
    assert find_document_date("No date here at all.", "memo.pdf", metadata="D:20220420101500Z").iso == "2022-04-20"
    assert find_document_date("No date here at all.", "page.html", metadata="2019-11-02T08:00:00+00:00").iso == \
        "2019-11-02"


def test_the_title_dates_a_document() -> None:
    assert find_document_date("Nothing dated in the text.", "minutes.txt", title="Council minutes, March 2019").iso == \
        "2019-03"


def _entry(date: str, answer: str, line: int) -> TimelineEntry:
    return TimelineEntry(date, answer, Citation(f"doc{line}.txt", f"/d/doc{line}.txt", line, 0, 10))


def _same(one: str, other: str) -> bool:
    return one.lower() == other.lower()


def test_different_answers_at_different_dates_make_a_timeline_in_date_order_with_equal_neighbours_folded() -> None:
    entries = [_entry("2022-11-15", "Ann Roe", 1), _entry("2010", "Bo Lind", 2),
               _entry("2015-12-01", "Cy Park", 3), _entry("2014-07", "cy park", 4)]
    timeline = build_timeline(entries, _same)
    assert timeline is not None
    assert [e.date for e in timeline.entries] == ["2010", "2014-07", "2015-12-01", "2022-11-15"]
    assert [(run.answer, run.dates) for run in timeline.runs] == [
        ("Bo Lind", "2010"), ("cy park", "2014-07, 2015-12-01"), ("Ann Roe", "2022-11-15")]
    assert lead_line(timeline) == ("The documents give different answers at different dates; "
                                    "the latest (2022-11-15) says Ann Roe.")


def test_agreeing_documents_or_one_date_make_no_timeline() -> None:
    assert build_timeline([_entry("2010", "Bo Lind", 1), _entry("2014", "bo lind", 2)], _same) is None
    assert build_timeline([_entry("2010", "Bo Lind", 1), _entry("2010", "Cy Park", 2)], _same) is None
    assert build_timeline([_entry("2010", "Bo Lind", 1), _entry("undated", "Cy Park", 2)], _same) is None


def test_an_answer_that_changes_back_is_not_folded_across_the_change() -> None:
    timeline = build_timeline([_entry("2010", "A B", 1), _entry("2012", "C D", 2), _entry("2014", "a b", 3)], _same)
    assert [run.dates for run in timeline.runs] == ["2010", "2012", "2014"]


def test_undated_entries_come_last_and_never_lead() -> None:
    timeline = build_timeline([_entry("undated", "Ann Roe", 1), _entry("2010", "Bo Lind", 2),
                               _entry("2012", "Cy Park", 3)], _same, present=True)
    assert timeline.entries[-1].date == "undated"
    assert lead_line(timeline).startswith("As of 2012, the latest document says Cy Park")


def test_questions_that_name_a_time_or_ask_for_the_present() -> None:
    assert years_named("who led the talks in 2014, and at the 2010 talks?") == {2014, 2010}
    assert years_named("how many of the 20,000 visas?") == set()
    assert asks_for_present("who is the current head of the delegation?")
    assert asks_for_present("Who leads it now?")
    assert not asks_for_present("who led the delegation?")


def test_a_date_deep_in_the_first_paragraph_is_an_event_not_the_documents_date() -> None:
    text = ("In the summer of that year, after long talks that ran for many weeks, the council finally "
            "agreed on May 5, 1998 to rebuild the harbour wall.\n")
    assert find_document_date(text, "wall.txt") is None


def test_an_events_date_opening_a_paragraph_is_not_a_dateline() -> None:
    text = "The final was played on February 7, 2016, at the stadium in front of a crowd of seventy thousand.\n"
    assert find_document_date(text, "final.txt") is None
    lifespan = "Ada Byron (10 December 1815 – 27 November 1852) was a mathematician and writer.\n"
    assert find_document_date(lifespan, "ada.txt") is None


def test_dates_are_found_at_ingest_and_kept_with_each_file_metadata_included(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    from config.settings import Settings
    from index.ingest import ingest
    from index.store import Store
    from qa.engine import Assistant

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "dateline.txt").write_text("Harbour Gazette\n\nPortsmouth, March 3, 2021\n\nThe harbour wall was "
                                         "rebuilt by the council.\n", encoding="utf-8")
    (folder / "undated.txt").write_text("The lighthouse keeper painted the tower red.\n", encoding="utf-8")
    (folder / "page.html").write_text(
        '<html><head><title>Ferry news</title><meta property="article:published_time" content="2019-06-01">'
        "</head><body><article><h1>Ferry news</h1><p>The ferry to the island was cancelled because of the "
        "storm, the operator said, and will sail again next week.</p></article></body></html>", encoding="utf-8")
    drawn = tmp_path / "drawn.pdf"
    pdf = canvas.Canvas(str(drawn))
    pdf.drawString(60, 700, "The bridge toll was raised to four pounds by the committee.")
    pdf.save()
    writer = PdfWriter(clone_from=PdfReader(drawn))
    writer.add_metadata({"/CreationDate": "D:20170912093000Z", "/Title": "Bridge toll"})
    writer.write(folder / "toll.pdf")

    settings = Settings(index=str(tmp_path / "index"))
    ingest([folder], settings, encoder)
    dates = {Path(source).name: record.date for source, record in Store(settings).file_records().items()}
    assert dates == {"dateline.txt": "2021-03-03", "undated.txt": "", "page.html": "2019-06-01",
                     "toll.pdf": "2017-09-12"}
    answer = Assistant.open(settings, encoder).ask("why was the ferry cancelled?")
    cited = answer.passages[0].citation
    assert cited.date == "2019-06-01" and "2019-06-01 · " in dated_label(cited)


def test_a_present_question_in_other_words_than_the_documents_leads_with_the_newest(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    """"Who heads the harbour board now?" of minutes that say "X chaired the harbour board": no
    passage holds "heads", all answer alike, so the newest one leads and says as of when."""
    assistant = _dated_reports(tmp_path, encoder, (
        ("March 3, 2019", "Alice Moreton chaired the harbour board when it met to agree the dredging budget."),
        ("June 9, 2021", "The harbour board, chaired by Brian Tolley, approved new moorings for the fleet."),
        ("May 2, 2023", "Carla Penhale chaired the harbour board as it voted to repair the north pier.")))
    answer = assistant.ask("who heads the harbour board now?")
    assert answer.timeline is not None and "the latest document says Carla Penhale" in lead_line(answer.timeline)
    assert answer.passages[0].citation.date == "2023-05-02"


def test_a_present_question_shows_the_newest_of_agreeing_sources_with_the_older_as_also_in(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    """Two reports that agree are one card; asked how things stand now, the card quotes the newer
    report and cites the older one as agreeing, not the other way round."""
    assistant = _dated_reports(tmp_path, encoder, (
        ("March 3, 2019", "Carla Penhale chairs the harbour board, which met to agree the dredging budget."),
        ("May 2, 2023", "The harbour board, which Carla Penhale chairs, met to agree the dredging budget.")))
    first = assistant.ask("who chairs the harbour board now?").passages[0]
    assert first.citation.date == "2023-05-02" and [c.date for c in first.also_in] == ["2019-03-03"]
    assert first.answer_text == "Carla Penhale"
    first = assistant.ask("who chairs the harbour board?").passages[0]
    assert len(first.also_in) == 1, "the same two sources, one card"


def _dated_reports(tmp_path: Path, encoder, reports: tuple[tuple[str, str], ...]):  # type: ignore[no-untyped-def]
    """An assistant over one short report a file, each under its dateline ("Portsmouth, May 2, 2023")."""
    from config.settings import Settings
    from index.ingest import ingest
    from qa.engine import Assistant

    folder = tmp_path / "reports"
    folder.mkdir()
    for date, said in reports:
        (folder / f"report-{date.split()[-1]}.txt").write_text(
            f"Harbour Gazette\n\nPortsmouth, {date}\n\n{said}\n", encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest([folder], settings, encoder)
    return Assistant.open(settings, encoder)


def test_a_date_written_day_first_without_a_year_is_an_answer_to_when() -> None:
    # "31 October" (British order) was no date at all, so a when-question's passage holding only it was
    # left unmarked and cautioned "holds no date"; the sentence's full stop is not part of the date
    from qa.answer_types import AnswerType, candidate_spans

    text = "In the Church of England's Calendar of Saints he is commemorated on 31 October. The 5th of May is another."
    assert [text[s.start : s.end] for s in candidate_spans(AnswerType.DATE, text)] == ["31 October", "5th of May"]
    assert candidate_spans(AnswerType.DATE, "He bought 1 Marks and Spencer share.") == []


def test_a_release_statement_near_the_top_dates_a_text_and_a_build_stamp_does_not() -> None:
    released = ("What's new in Tidewater 3.8\n\nEditor: A. Smith\n\nThis article explains the new features in "
                "Tidewater 3.8, compared to 3.7. Tidewater 3.8 was released on October 14, 2019. For full details, "
                "see the changelog.\n")
    found = find_document_date(released, "whatsnew-3.8.html")
    assert found is not None and found.iso == "2019-10-14"
    assert released[found.span.start : found.span.end] == "October 14, 2019"
    stamped = "Tidewater manual\n\nLast updated on Oct 07, 2026.\n\nTidewater prints tide tables.\n"
    assert find_document_date(stamped, "manual.html") is None  # the build's date, not the manual's


def test_a_version_number_is_never_a_date() -> None:
    text = "Tidewater 3.8.12 fixes the moon phases of 3.6.10 and v2.6.17.\n"
    assert find_document_date(text, "tidewater-3.8.12.html") is None
    assert find_document_date(text, "gcc-3.2012.05.txt") is None  # a version of year-like parts
    assert find_document_date(text, "notes-2019-03.txt").iso == "2019-03"
