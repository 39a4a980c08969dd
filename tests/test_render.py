"""One answer, said in the same words by every front end: `qa ask` in a terminal, the app, and the
app's Markdown export (all made by `qa.render`), over the real index of corpus/ and the real model."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from config.settings import PROJECT_ROOT, SETTINGS_FILE, Settings, load_settings
from qa.engine import Assistant
from qa.render import CLOSEST
from ui.app import make_app
from ui.export import answer_markdown
from ui.widgets import Turn

UNANSWERABLE = "what is the boiling point of water?"  # the corpus is five articles on migration talks


def test_the_terminal_the_app_and_the_export_say_an_abstention_in_the_same_words(
    corpus_settings: Settings, assistant: Assistant, tmp_path: Path
) -> None:
    """The line that says the documents do not answer, and why, reads the same everywhere (it had three
    wordings: "Closest passages, but not an answer:", "The closest passages, ...", "Closest passages, ...")."""
    calibrated = load_settings(environ={"QA_SETTINGS": str(SETTINGS_FILE)}).abstain_threshold
    strict = Assistant(corpus_settings.replace(abstain_threshold=calibrated), assistant.store, assistant.encoder,
                       assistant.lexical)
    shown: list[str] = []
    exported: list[str] = []

    async def scenario() -> None:
        app = make_app(assistant=strict, history=tmp_path / "history")
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            app.query_one("#question").value = UNANSWERABLE  # type: ignore[attr-defined]
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            shown.append(str(app.query_one(Turn).query_one(".abstain").render()))
            exported.extend(answer_markdown(app.answers[-1]).splitlines())

    asyncio.run(scenario())
    terminal = subprocess.run(
        [sys.executable, "-m", "cli", "ask", UNANSWERABLE, "--index", corpus_settings.index],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300,
        env={**os.environ, "NO_COLOR": "1", "QA_SETTINGS": str(SETTINGS_FILE)},
    )
    assert terminal.returncode == 0, terminal.stderr
    said = terminal.stdout.splitlines()[0]
    assert said.startswith("The documents do not answer this: ") and said.endswith(" " + CLOSEST), said
    assert shown == [said]
    assert f"**{said}**" in exported, exported
