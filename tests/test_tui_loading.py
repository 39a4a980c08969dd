"""The terminal app while its index is built or opened: progress, an early question, errors shown as
notifications, a changed file, a window usable before the model is ready."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from config.settings import Settings
from evals.app_speed import known_questions, measure, time_app
from index.embedding import Encoder
from index.ingest import ingest
from qa.engine import Assistant
from tests.app_driving import QUESTION, ask, errors, marked, messages, run, runs
from tests.app_driving import app_for as app_for  # the fixture, by name
from ui.app import QAApp, make_app
from ui.document import DocumentView
from ui.screens import SourceScreen
from ui.widgets import PassageCard, PassageText, StaleNotice, Turn


# ---- loading, building, errors --------------------------------------------------------------------
def test_missing_index_is_built_with_progress_and_an_early_question_waits(
    encoder: Encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "lighthouse.txt").write_text(
        "The Old Point Lighthouse\n\nThe Old Point lighthouse was built in 1871 on the northern cape. "
        "Its lamp was electrified in 1932, and the lighthouse was automated in 1987.\n",
        encoding="utf-8",
    )
    (corpus / "ferry.txt").write_text(
        "The Harbour Ferry\n\nThe harbour ferry carries about four hundred passengers a day between the two "
        "piers. It was first launched in 1954.\n",
        encoding="utf-8",
    )
    settings = Settings(index=str(tmp_path / "index"))
    shown: list[object] = []
    original = QAApp._show_progress
    monkeypatch.setattr(QAApp, "_show_progress", lambda self, state: (shown.append(state), original(self, state)))

    async def scenario() -> None:
        app = make_app(settings, corpus=corpus, encoder=encoder, history=tmp_path / "history")
        async with app.run_test(size=(100, 30)) as pilot:
            app.query_one("#question").value = "when was the lighthouse automated?"
            await pilot.press("enter")
            assert app.query_one(Turn).waiting.startswith("Waiting for the index"), "asked before it was ready"
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert any("Indexed 2 documents" in m for m in messages(app))
            card = app.query(PassageCard).first()
            assert marked(card.query_one(PassageText)) == "1987"
            assert "lighthouse.txt:3" in " ".join(text for text, _ in runs(card))
            assert "2 documents" in str(app.query_one("#status").render())

    run(scenario)
    assert (tmp_path / "index" / "chroma.sqlite3").is_file()
    progress = [s for s in shown if isinstance(s, tuple)]
    assert progress and progress[-1][0] == progress[-1][1] == 2, "the bar reached all chunks"
    assert shown[-1] is False, "and went away when done"


def test_errors_are_notifications_not_crashes(encoder: Encoder, app_for: Callable[..., QAApp], tmp_path: Path) -> None:
    async def empty_question() -> None:
        app = app_for()
        async with app.run_test() as pilot:
            await app.workers.wait_for_complete()
            await pilot.press(" ", "enter")
            await pilot.pause()
            assert any(e.startswith("empty question") for e in errors(app))
            assert not app.query(Turn)

    async def unreachable_server() -> None:
        app = make_app(Settings(index="http://127.0.0.1:9"), encoder=encoder, history=tmp_path / "history")
        async with app.run_test() as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert any("http://127.0.0.1:9 does not answer" in e for e in errors(app))
            assert "Not ready" in str(app.query_one("#status").render())
            await ask(pilot, QUESTION)
            assert any(e.startswith("Cannot answer: Chroma server") for e in errors(app))
            assert app.is_running
            shown = {b.binding.description for b in app.screen.active_bindings.values() if b.binding.show}
            assert "Retry loading" in shown
            failures = len(errors(app))
            await pilot.press("ctrl+r")  # the server is still down: it says so again
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert len(errors(app)) == failures + 1

    run(empty_question)
    run(unreachable_server)


def test_changed_file_is_flagged_and_reindexed(encoder: Encoder, corpus_copy: Path, tmp_path: Path) -> None:
    settings = Settings(index=str(tmp_path / "index"))
    ingest([corpus_copy], settings, encoder)
    changed = corpus_copy / "2014-07-voa-us-committed-to-legal-cuban-migration.txt"
    changed.write_text(changed.read_text(encoding="utf-8").replace("suspended in 2003", "suspended in 2004"),
                       encoding="utf-8")

    async def scenario() -> None:
        app = make_app(assistant=Assistant.open(settings, encoder=encoder), history=tmp_path / "history")
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await ask(pilot, QUESTION)
            notice = app.query_one(StaleNotice)
            assert notice.source == str(changed)
            says = str(notice.query_one(".stale-text").render())
            assert "Changed since it was indexed; what changed is left out of this answer" in says
            await pilot.press("tab", "r")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert not app.query(StaleNotice)
            await ask(pilot, QUESTION)
            answer = app.answers[-1]
            assert not answer.stale
            assert answer.passages[0].answer_text == "2004"

            # A file changed after the answer: opening the passage finds it moved and says so.
            changed.write_text("A new first line.\n" + changed.read_text(encoding="utf-8"), encoding="utf-8")
            await pilot.press("tab", "enter")
            await pilot.pause()
            assert isinstance(app.screen, SourceScreen)
            note = str(app.screen.query_one("#source-note").render())
            assert "changed since it was indexed; the passage is now at line 26" in note
            assert marked(app.screen.query_one(DocumentView)) == "2004"
            await pilot.press("escape")
            notice = app.query_one(StaleNotice)
            assert notice.source == str(changed)
            assert "this answer quotes the old text" in str(notice.query_one(".stale-text").render())

    run(scenario)


def test_the_window_is_usable_before_the_index_and_model_are_ready(
    corpus_settings: Settings, encoder: Encoder, capsys: pytest.CaptureFixture[str]
) -> None:
    timings = asyncio.run(time_app(corpus_settings, known_questions(2), encoder))
    assert timings.usable_ms is not None and timings.ready_ms is not None
    assert 0 < timings.usable_ms < timings.ready_ms, "the question box takes typing while the index opens"
    assert len(timings.answers_ms) == 2 and all(ms > 0 for ms in timings.answers_ms), "each answer timed once"
    assert measure(corpus_settings, 1, encoder=encoder) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == [
        "start to usable input", "start to ready", "Enter to first answer card, warm, 1 questions"]
