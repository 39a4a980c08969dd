"""Named errors that carry what a person needs to act; the CLI and TUI turn them into one line."""

from __future__ import annotations

import errno
import os
from pathlib import Path


class QAError(Exception):
    """Base of every error the product explains to its user."""


class UnreadableFile(QAError):
    """A file that cannot be indexed (missing, empty, binary, not UTF-8, too large, unsupported,
    encrypted, corrupt); `kind` names the reason in a few words for the ingest summary."""

    def __init__(self, path: str, problem: str, action: str, kind: str = "") -> None:
        self.path, self.problem, self.action, self.kind = path, problem, action, kind or problem
        super().__init__(f"{path}: {problem}, skipped ({action})")


class PathMissing(QAError):
    """A file or folder named to `qa ingest` that does not exist: an error, never a reason to drop
    what the index holds of it (a folder moved away is not a folder emptied)."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: no such file or folder; nothing was indexed or removed (check the path)")


class IndexMissing(QAError):
    """No index where the settings point."""


class IndexBroken(QAError):
    """An index that cannot be read or was built with other settings."""


class IndexGone(IndexBroken):
    """A local index folder deleted while a command used it."""

    def __init__(self, index: str) -> None:
        super().__init__(f"index folder {index} was deleted while in use: run `qa ingest` to build it again")


class IndexOutdated(IndexBroken):
    """An index built with other model or chunking settings: `qa ingest` rebuilds it."""


class RootMissing(QAError):
    """An index whose file paths are relative to a corpus root, opened without one."""

    def __init__(self, index: str) -> None:
        super().__init__(f"index at {index} stores file paths relative to a corpus root: set --root or QA_ROOT "
                         "to the corpus folder on this machine")


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


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


SPACE_MARGIN = 16_000_000  # bytes beyond the database's size that a write may need


def _short_of_space(index: str) -> bool:
    """Whether a local index's disk has less room than its database plus a margin: SQLite's journal,
    and Chroma applying its write log to the metadata segment, need about that much. Chroma's Rust
    layer reports a full disk only as a failed compaction, without the system's error."""
    path = Path(index)
    try:
        stat = os.statvfs(path)
        database = (path / "chroma.sqlite3").stat().st_size
    except (OSError, ValueError):
        return False
    return stat.f_bavail * stat.f_frsize < database + SPACE_MARGIN


def known_failure(error: BaseException, index: str) -> QAError | None:
    """What a failure from below (the disk, SQLite, the network) means for the index at `index`,
    as one line that says what to do, or None when it is none of these. A full disk, a read-only
    index and a dead server leave the index as it was: none of them is a reason to delete it. A local
    index folder that is gone is said to be gone (SQLite then reports a read-only database)."""
    found = _meaning(error, index)
    gone = "://" not in index and index != "the index" and not os.path.isdir(index)
    if gone and ((found is not None and not isinstance(found, IndexUnreachable))
                 or any(isinstance(cause, FileNotFoundError) for cause in _chain(error))):
        return IndexGone(index)
    return found


def _meaning(error: BaseException, index: str) -> QAError | None:
    for cause in _chain(error):
        text = str(cause).lower()
        number = getattr(cause, "errno", None)
        if number == errno.ENOSPC or "disk is full" in text or "no space left" in text \
                or (type(cause).__name__ == "InternalError" and _short_of_space(index)):
            return IndexBroken(f"disk full at {index}: free some space and run the command again; "
                               "the index is intact")
        if number in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly database" in text \
                or "read-only file system" in text:
            return IndexBroken(f"index at {index} is read-only ({cause}): run as a user who may write it, "
                               "or copy it somewhere writable; the index is intact")
        if type(cause).__name__ in ("ConnectError", "ConnectTimeout", "RemoteProtocolError", "ReadError") \
                or isinstance(cause, ConnectionError):
            return IndexUnreachable(f"Chroma server {index} stopped answering ({type(cause).__name__}): check "
                                    "that it runs, then run the command again")
    return None
