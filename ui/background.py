"""What the app's worker threads do, without textual: open the index (building it first from a
corpus when it is missing), keep the questions waiting for an answer in the order asked, and note
when the app got where (for `evals.app_speed`)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

from config.errors import IndexMissing, IndexOutdated
from config.settings import PROJECT_ROOT, Settings
from index.documents.read import display_path

if TYPE_CHECKING:
    from index.embedding import Encoder
    from qa.engine import Assistant

DEFAULT_CORPUS = PROJECT_ROOT / "corpus"
Progress = tuple[int, int] | bool | None  # chunks (done, total); None: starting; False: done
Severity = Literal["information", "warning", "error"]
Item = TypeVar("Item")


@dataclass
class Moments:
    """When the app got somewhere (`time.perf_counter()`), for `evals.app_speed` to measure: the
    first frame with the question box focused, the index and model ready, and for each answer the
    seconds from Enter to its cards laid out on screen."""

    usable: float | None = None
    ready: float | None = None
    answers: list[float] = field(default_factory=list)


@dataclass
class IndexOpener:
    """Opens the index of `settings` (named `label`); a missing one is built from `corpus` when
    `may_build` (the app builds only the default index, or one it was given a corpus for). What it
    does is said through `status(text, state)`, `progress(state)` and `notify(text, severity)`;
    `lock` is held while the index is written."""

    settings: Settings
    label: str
    corpus: Path | None
    may_build: bool
    status: Callable[[str, str], None]
    progress: Callable[[Progress], None]
    notify: Callable[[str, Severity], None]
    lock: threading.Lock

    def open(self, encoder: Encoder) -> Assistant:
        """The assistant over the index, built first when it is missing and may be."""
        from qa.engine import Assistant

        try:
            return Assistant.open(self.settings, encoder=encoder)
        except (IndexMissing, IndexOutdated) as error:
            if not self.may_build:
                if isinstance(error, IndexOutdated):
                    raise
                raise IndexMissing(
                    f"no index in {self.label} yet: build one with `qa ingest --index {self.label} FOLDER`, "
                    "or start without --index to use the bundled corpus"
                ) from None
        self.build(encoder)
        return Assistant.open(self.settings, encoder=encoder)

    def reindex(self, sources: list[str], encoder: Encoder) -> Assistant:
        """Re-index the files `sources` (saying which were skipped) and reopen the index."""
        from index.ingest import ingest
        from qa.engine import Assistant

        with self.lock:
            report = ingest([Path(s) for s in sources], self.settings, encoder,
                            waiting=lambda m: self.notify(m, "warning"))
            assistant = Assistant.open(self.settings, encoder=encoder)
        for problem in report.skipped:
            self.notify(str(problem), "warning")
        return assistant

    def build(self, encoder: Encoder) -> None:
        """Index the corpus, saying how far it got; IndexMissing when it holds nothing to index."""
        from index.ingest import ingest

        corpus = self.corpus or DEFAULT_CORPUS
        where = display_path(corpus)
        self.status(f"No index yet: building it from {where}/…", "indexing")
        self.progress(None)

        def progress(done: int, total: int) -> None:
            self.status(f"Indexing {where}/: {done}/{total} chunks", "indexing")
            self.progress((done, total))

        with self.lock:
            report = ingest([corpus], self.settings, encoder, progress=progress,
                            waiting=lambda m: self.status(m, "indexing"))
        for problem in report.skipped:
            self.notify(str(problem), "warning")
        self.progress(False)
        files = len(report.added) + len(report.changed) + len(report.unchanged)
        if not files:
            raise IndexMissing(f"nothing to index in {where}: add .txt or .md files to it")
        self.notify(f"Indexed {files} documents from {where}/ into {self.label}", "information")


class AnswerQueue(Generic[Item]):
    """Questions waiting for an answer, in the order asked, answered by one worker at a time.

    `put` a question, then start a worker when `claim()` says so; the worker `take`s questions
    until there is none left (then it counts as done, and the next `claim()` starts another). No
    question is claimed before the queue is `open` (the index is open, or failed to open): the one
    that opens it is told whether to answer the questions asked meanwhile."""

    def __init__(self) -> None:
        self._open = False
        self._waiting: deque[Item] = deque()
        self._lock = threading.Lock()
        self._draining = False

    @property
    def is_open(self) -> bool:
        """Whether questions are answered as they come."""
        return self._open

    def open(self) -> bool:
        """Open the queue; whether the caller should now `take` the questions asked meanwhile (they
        are claimed for it)."""
        with self._lock:
            self._open = True
        return self.claim()

    def close(self) -> None:
        """Hold new questions until the queue is opened again."""
        with self._lock:
            self._open = False

    def put(self, item: Item) -> None:
        """Add a question at the end."""
        with self._lock:
            self._waiting.append(item)

    def claim(self) -> bool:
        """Whether the caller should start a worker: open, questions waiting, and no worker at it."""
        with self._lock:
            if not self._open or self._draining or not self._waiting:
                return False
            self._draining = True
            return True

    def take(self) -> Item | None:
        """The next question for the worker; None when there is none (the worker is then done)."""
        with self._lock:
            if not self._waiting:
                self._draining = False
                return None
            return self._waiting.popleft()
