"""The verify stage: each retrieved chunk checked against its file's canonical text as it is now; a
chunk the file no longer holds is left out and its file named stale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.retrieve import Candidate
from qa.sources import SourceFiles, SourceText


@dataclass(frozen=True)
class VerifiedChunk:
    """A retrieved chunk whose file still holds its text, with the file and the chunk's block."""

    candidate: Candidate
    source: SourceText
    block: int


@dataclass(frozen=True)
class Verified:
    """What retrieval found, checked: every candidate (their scores set the scale), those still in their
    files, and the files that changed since they were indexed (`stale`)."""

    candidates: tuple[Candidate, ...]
    chunks: tuple[VerifiedChunk, ...]
    stale: tuple[str, ...]


def verify(candidates: Sequence[Candidate], files: SourceFiles) -> Verified:
    """The candidates whose file still holds their text, each with the file and its block; the files
    of the others are named stale."""
    verified: list[VerifiedChunk] = []
    stale: list[str] = []
    for candidate in candidates:
        chunk = candidate.chunk
        source = files.get(chunk.source)  # the file as it is now, re-read when it changed
        if source is None or source.text[chunk.start : chunk.end] != chunk.text:
            if chunk.source not in stale:
                stale.append(chunk.source)
            continue
        block = source.block_of(chunk.start)
        if block is not None:
            verified.append(VerifiedChunk(candidate, source, block))
    return Verified(tuple(candidates), tuple(verified), tuple(stale))
