"""The status bar above the question box: what the app is doing, the latest notice, and progress."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import ProgressBar, Static

from ui.background import Progress

NOTICE_SECONDS = 6  # an information notice stays this long in the status line
STATES = ("loading", "ready", "error", "indexing")


class StatusLine(Static):
    """What the app is doing (loading, indexing, ready, failed), with a spinner while it works."""

    FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__(text, markup=False, **kwargs)
        self.text = text
        self.busy = True
        self._frame = 0

    def on_mount(self) -> None:
        self._timer = self.set_interval(0.1, self._spin, pause=self.app.is_headless)

    def show(self, text: str, busy: bool) -> None:
        """Say `text`, spinning while `busy`."""
        self.text, self.busy = text, busy
        moving = busy and not self.app.is_headless  # no motion in screenshots and tests
        self._timer.resume() if moving else self._timer.pause()
        self._spin()

    def _spin(self) -> None:
        if self.busy and not self.app.is_headless:
            self._frame = (self._frame + 1) % len(self.FRAMES)
            self.update(f"{self.FRAMES[self._frame]} {self.text}")
        else:
            self.update(self.text)


class StatusBar(Horizontal):
    """The status line (`state`: loading, ready, error or indexing, a class of the bar), a notice that
    goes after `NOTICE_SECONDS`, and a progress bar while the index is built."""

    _notice_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine("Opening the index…", id="status")
        yield Static("", id="notice", markup=False)
        yield ProgressBar(id="progress", show_eta=False, show_percentage=True)

    def show(self, text: str, state: str = "loading") -> None:
        """Say what the app is doing."""
        self.query_one(StatusLine).show(text, busy=state in ("loading", "indexing"))
        for name in STATES:
            self.set_class(name == state, f"-{name}")

    def notice(self, text: str) -> None:
        """Show a notice for `NOTICE_SECONDS`."""
        notice = self.query_one("#notice", Static)
        notice.update(text)
        if self._notice_timer is not None:
            self._notice_timer.stop()
        self._notice_timer = self.set_timer(NOTICE_SECONDS, lambda: notice.update(""))

    def progress(self, state: Progress) -> None:
        """Show chunks (done, total) embedded; hide the bar when done (False)."""
        bar = self.query_one("#progress", ProgressBar)
        bar.display = state is not False
        if isinstance(state, tuple):
            done, total = state
            bar.update(total=max(total, 1), progress=done)
