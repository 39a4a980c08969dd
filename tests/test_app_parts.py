"""The app's plain parts, without driving the app: the question history, the Markdown export over
real answers, and the queue that keeps answers in the order asked."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from qa.engine import Assistant
from ui.background import AnswerQueue
from ui.export import answer_markdown, conversation_markdown, export_path, write_export
from ui.history import HISTORY_LIMIT, History

QUESTION = "when were talks suspended?"


def test_history_walks_back_and_forth_and_comes_back_to_the_draft(tmp_path: Path) -> None:
    path = tmp_path / "state" / "history"
    history = History(path)
    for question in ("first?", "second?", "second?"):
        history.add(question)
    assert path.read_text(encoding="utf-8").splitlines() == ["first?", "second?"], "not twice in a row"
    assert history.previous("half typed") == "second?"
    assert history.previous("second?") == "first?"
    assert history.previous("first?") is None, "nothing before the first"
    assert history.next() == "second?"
    assert history.next() == "half typed", "the draft comes back at the end"
    assert history.next() is None
    assert History(path).previous("") == "second?", "kept between runs"


def test_history_keeps_the_latest_questions_and_survives_an_unwritable_home(tmp_path: Path) -> None:
    path = tmp_path / "history"
    path.write_text("".join(f"q{n}?\n" for n in range(HISTORY_LIMIT)), encoding="utf-8")
    history = History(path)
    history.add("newest?")
    kept = path.read_text(encoding="utf-8").splitlines()
    assert len(kept) == HISTORY_LIMIT and kept[0] == "q1?" and kept[-1] == "newest?"
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    unwritable = History(blocked / "history")  # its folder cannot be made: history is only lost
    unwritable.add(QUESTION)
    assert unwritable.previous("") == QUESTION


def test_an_answer_exports_as_a_quote_with_its_answer_in_bold_and_its_citation(assistant: Assistant) -> None:
    answer = assistant.ask(QUESTION)
    text = answer_markdown(answer)
    assert text.startswith(f"## {QUESTION}\n")
    assert ("> Discussions on implementing the accords have historically been held twice a year, "
            "but were suspended in **2003**.") in text
    assert "2014-07 · `corpus/2014-07-voa-us-committed-to-legal-cuban-migration.txt:25`" in text
    assert "— U.S. Remains Committed To Safe, Legal Cuban Migration, " in text


def test_an_export_never_overwrites_an_earlier_one(assistant: Assistant, tmp_path: Path) -> None:
    answers = [assistant.ask(QUESTION), assistant.ask("who led the U.S. delegation in July 2014?")]
    when = datetime(2026, 1, 2, 3, 4, 5)
    first = export_path(tmp_path / "out", when)
    write_export(first, answers, ".qa/index", when)
    second = export_path(tmp_path / "out", when)
    write_export(second, answers[:1], ".qa/index", when)
    assert first.name == "qa-conversation-20260102-030405.md" and second.name.endswith("-2.md")
    text = first.read_text(encoding="utf-8")
    assert text == conversation_markdown(answers, ".qa/index", when)
    assert text.startswith("# Questions to the documents\n\nIndex `.qa/index`, exported 2026-01-02 03:04.")
    assert text.count("\n## ") == 2 and second.read_text(encoding="utf-8").count("\n## ") == 1


def test_questions_are_answered_once_each_in_the_order_asked_by_one_worker_at_a_time() -> None:
    queue: AnswerQueue[int] = AnswerQueue()
    answered: list[int] = []
    workers: list[threading.Thread] = []

    def work() -> None:  # two workers at once could take questions in one order and answer in another
        while (question := queue.take()) is not None:
            answered.append(question)

    def start() -> None:
        if queue.claim():
            workers.append(threading.Thread(target=work))
            workers[-1].start()

    queue.put(0)
    start()
    assert not workers, "nothing is answered before the index is open"
    assert queue.open(), "the one that opens the queue answers what was asked meanwhile"
    workers.append(threading.Thread(target=work))
    workers[-1].start()
    for question in range(1, 500):
        queue.put(question)
        start()
    for worker in list(workers):
        worker.join()
    start()  # a question put as the last worker finished is not left waiting
    for worker in workers:
        worker.join()
    assert answered == list(range(500))


def test_a_wrapped_manual_passage_reads_as_one_line_with_its_answer_still_marked(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """A manual's passage keeps its line breaks, indents and the typesetter's hyphens in the cited
    text; the card, the terminal and the export show it as a person reads it, the answer marked."""
    from config.settings import Settings
    from index.ingest import ingest

    manual = tmp_path / "gates.txt"
    manual.write_text(
        "NAME\n       gatectl - open and close the gates of a harbour\n\nDESCRIPTION\n"
        "       gatectl  talks  to the gate controller and shows for each gate the in‐\n"
        "       formation it reports, such as the time  the gate last moved, when it\n"
        "       was opened on 3 May 2024 by the harbour master of the western basin,\n"
        "       and  whether  the  gate answers within the time limit that was given.\n",
        encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest([manual], settings, encoder)
    answer = Assistant.open(settings, encoder).ask("when was the gate opened?")
    first = answer.passages[0]
    assert "in‐\n       formation" in first.text, "the cited text is the file's"
    text, (start, end) = first.readable()
    assert "shows for each gate the information it reports, such as the time the gate last moved" in text
    assert text[start:end] == "3 May 2024"
    assert "information it reports" in answer_markdown(answer)


def test_an_exported_list_keeps_an_item_a_line(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    from config.settings import Settings
    from index.ingest import ingest

    notes = tmp_path / "ferry.md"
    notes.write_text("# Ferry\n\nFrom the first of May the ferry timetable changes in three ways:\n\n"
                     "- boats leave every twenty minutes from the north quay\n- the last boat leaves at midnight on "
                     "weekdays\n- Sunday boats call at the old pier as well\n", encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest([notes], settings, encoder)
    text = answer_markdown(Assistant.open(settings, encoder).ask("how does the ferry timetable change in May?"))
    assert ("ways:  \n> - boats leave every twenty minutes from the north quay  \n"
            "> - the last boat leaves at midnight on weekdays") in text, text
