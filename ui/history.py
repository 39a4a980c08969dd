"""The questions asked before, kept between runs and browsed like a shell's history (no textual)."""

from __future__ import annotations

from pathlib import Path

from config.settings import user_dir

HISTORY_LIMIT = 1000


def history_file(environ: dict[str, str] | None = None) -> Path:
    """Where asked questions are kept between runs: $XDG_STATE_HOME/qa/history."""
    return user_dir("state", environ) / "history"


class History:
    """Questions asked before, oldest first, browsed with Up/Down like a shell's history."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: list[str] = self._load()
        self.position = len(self.entries)
        self.draft = ""

    def _load(self) -> list[str]:
        if self.path is None:
            return []
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return []
        return [line for line in lines if line.strip()][-HISTORY_LIMIT:]

    def add(self, question: str) -> None:
        """Remember `question` (not twice in a row) and save it."""
        self.position = len(self.entries)
        self.draft = ""
        if self.entries and self.entries[-1] == question:
            return
        self.entries.append(question)
        self.position = len(self.entries)
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if len(self.entries) > HISTORY_LIMIT:
                self.entries = self.entries[-HISTORY_LIMIT:]
                self.position = len(self.entries)
                self.path.write_text("\n".join(self.entries) + "\n", encoding="utf-8")
            else:
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(question + "\n")
        except OSError:
            pass  # history is a convenience: a read-only home only loses it

    def previous(self, current: str) -> str | None:
        """The question before the one shown (`current` is kept as the draft to come back to)."""
        if self.position == len(self.entries):
            self.draft = current
        if self.position == 0:
            return None
        self.position -= 1
        return self.entries[self.position]

    def next(self) -> str | None:
        """The question after the one shown, then the draft; None past the end."""
        if self.position >= len(self.entries):
            return None
        self.position += 1
        return self.draft if self.position == len(self.entries) else self.entries[self.position]
