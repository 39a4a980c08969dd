"""Driving the terminal app in tests: Textual's Pilot over the real model and the bundled corpus's
index, and what a test reads off the screen."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from rich.style import Style
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from qa.engine import Assistant
from ui.app import QAApp, make_app

QUESTION = "when were talks suspended?"
CITATION = "2014-07-voa-us-committed-to-legal-cuban-migration.txt:25"
SUSPENDED = (
    "Discussions on implementing the accords have historically been held twice a year, but were suspended in 2003."
)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def runs(widget: Widget) -> list[tuple[str, Style]]:
    """What `widget` and the widgets inside it draw: (text, style) runs, as the compositor gets them."""
    children = [child for child in widget.children if child.display]
    if children:
        return [run for child in children for run in runs(child)]
    strips = widget.render_lines(Region(0, 0, widget.outer_size.width, widget.outer_size.height))  # padding too
    return [(segment.text, segment.style or Style()) for strip in strips for segment in strip]


def marked(widget: Widget) -> str:
    """The text `widget` draws in bold (the answer span), whitespace collapsed."""
    return " ".join("".join(text for text, style in runs(widget) if style.bold).split())


def errors(app: QAApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


def messages(app: QAApp) -> list[str]:
    """Every notice the app gave: the information ones in its status line, the rest as toasts."""
    return app.notices + [n.message for n in app._notifications]


async def ask(pilot: Pilot, question: str) -> None:
    """Type `question` in the question box, press Enter and wait for the answer."""
    app = pilot.app
    box = app.query_one("#question")
    if app.focused is not box:
        await pilot.press("escape")  # from the answers back to the question box
    assert app.focused is box
    box.value = question
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def app_for(assistant: Assistant, tmp_path: Path) -> Callable[..., QAApp]:
    """Apps over the shared corpus index, each with its own history file and export folder."""

    def build(**overrides: object) -> QAApp:
        options: dict[str, object] = {
            "assistant": assistant,
            "history": tmp_path / "state" / "history",
            "export_dir": tmp_path / "exports",
        }
        options.update(overrides)
        return make_app(**options)  # type: ignore[arg-type]

    return build
