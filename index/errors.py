"""Named errors that carry what a person needs to act; the CLI and TUI turn them into one line."""

from __future__ import annotations


class QAError(Exception):
    """Base of every error the product explains to its user."""


class UnreadableFile(QAError):
    """A file that cannot be indexed (missing, empty, binary, not UTF-8, too large, unsupported,
    encrypted, corrupt); `kind` names the reason in a few words for the ingest summary."""

    def __init__(self, path: str, problem: str, action: str, kind: str = "") -> None:
        self.path, self.problem, self.action, self.kind = path, problem, action, kind or problem
        super().__init__(f"{path}: {problem}, skipped ({action})")


class IndexMissing(QAError):
    """No index where the settings point."""


class IndexBroken(QAError):
    """An index that cannot be read or was built with other settings."""


class IndexOutdated(IndexBroken):
    """An index built with other model or chunking settings: `qa ingest` rebuilds it."""


class IndexUnreachable(QAError):
    """A Chroma server URL that does not answer."""


class EmptyQuestion(QAError):
    """A question with no words in it."""

    def __init__(self) -> None:
        super().__init__(
            "empty question: type a question in words about your documents (who, what, when, where, how many ...)"
        )


class QuestionTooLong(QAError):
    """A question longer than a question should be (a pasted document, say)."""

    LIMIT = 1000  # characters

    def __init__(self, length: int) -> None:
        super().__init__(
            f"question of {length:,} characters: ask it in under {self.LIMIT:,} (a question, not a document)"
        )


class ModelMissing(QAError):
    """An embedding model that cannot be loaded from disk."""
