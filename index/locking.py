"""One writer per index: `qa ingest`, the app's re-index and a first build take the index's writer lock.

Two ingests into one index used to interleave: one's orphan sweep deleted the other's chunks that were
stored but not yet in the manifest, and two first builds raced to create Chroma's tables. The lock is
an advisory `flock` on a file beside the index (for a server index, beside its local BM25 copy), so it
is released by the kernel when its holder exits, however it exits: a killed ingest never leaves a
stale lock behind.

Readers take no lock and write nothing. A question asked while an ingest runs reads what Chroma holds
at that moment; a BM25 copy that lags behind is brought in line in memory only (`qa ingest` saves it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from config.settings import Settings
from index.lexical import bm25_dir

LOCK_NAME = "writer.lock"


def lock_path(settings: Settings) -> Path:
    """The writer lock's file: inside a local index's folder; beside the BM25 copy of a server index."""
    if settings.is_remote:
        folder = bm25_dir(settings)
        return folder.with_name(folder.name + ".lock")
    return Path(settings.index) / LOCK_NAME


def _open(path: Path, create: bool = True) -> int | None:
    """The lock file's descriptor, or None when it cannot be made (a read-only index, an index path that
    is a file): then nothing can be written either, and opening the index says why in its own words."""
    try:
        if not create:
            return os.open(path, os.O_RDONLY)
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None


def _holder(descriptor: int) -> str:
    """What the holder wrote into the lock file: "pid N", or "" if it wrote nothing yet."""
    with contextlib.suppress(OSError, ValueError):
        text = os.pread(descriptor, 64, 0).decode("ascii").strip()
        return f"pid {int(text)}" if text else ""
    return ""


@contextlib.contextmanager
def writer_lock(settings: Settings, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the index's writer lock for the block. When another writer holds it, say so once through
    `waiting` and wait for it to finish."""
    path = lock_path(settings)
    descriptor = _open(path)
    if descriptor is None:
        yield
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(descriptor)
            if waiting:
                waiting(f"another ingest{f' ({holder})' if holder else ''} is writing to {settings.index}: "
                        "waiting for it to finish (Ctrl-C to stop)")
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        with contextlib.suppress(OSError):
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.ftruncate(descriptor, 0)
        os.close(descriptor)  # closing releases the lock
