"""The Chroma side of the index: chunk vectors, the file manifest, and the settings they were built with.

Two collections live in one Chroma database (a local directory or a `chroma run` server):
`qa_chunks` holds one record per chunk with our own vectors, and `qa_files` holds one record per
indexed file (its content hash and chunk count). A file's manifest record is written only after
all its chunks, so a file whose ingest was interrupted is simply seen as not indexed yet.
"""

from __future__ import annotations

import base64
import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from config.errors import (
    IndexBroken,
    IndexMissing,
    IndexOutdated,
    IndexUnreachable,
    RootMissing,
)
from config.settings import Settings
from index.chroma_client import ingest_command, open_client
from index.documents.formats import PLAIN_TEXT_ID
from index.encoder_protocol import SentenceEncoder

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

CHUNKS = "qa_chunks"
FILES = "qa_files"
FORMAT = 1
RELATIVE_PATHS = "relative_paths"  # metadata: sources under a corpus root are stored relative to it


@dataclass(frozen=True)
class ChunkRecord:
    """One stored chunk: where it is in which file, and its text."""

    id: str
    source: str
    start: int
    end: int
    line: int
    text: str
    title: str
    # Each sentence's start in the file and its unit vector (float16, from the chunk's own encoding:
    # the sentence's word-piece outputs pooled), so a question can be compared with single
    # sentences without encoding them again.
    sentence_starts: tuple[int, ...] = ()
    sentence_vectors: bytes = b""
    sentence_ends: tuple[int, ...] = ()

    def sentences(self) -> list[tuple[int, int]]:
        """Each sentence's `(start, end)` in the chunk's own text, as the document splits it (an
        index without ends: each runs to the next one's start)."""
        ends = self.sentence_ends or (*self.sentence_starts[1:], self.end)
        return [(start - self.start, end - self.start) for start, end in zip(self.sentence_starts, ends, strict=True)]

    def sentence_vector(self, start: int, dimension: int) -> np.ndarray | None:
        """The stored vector of the sentence starting at `start`, or None."""
        try:
            row = self.sentence_starts.index(start)
        except ValueError:
            return None
        return np.frombuffer(self.sentence_vectors, dtype=np.float16, count=dimension, offset=row * dimension * 2)


@dataclass(frozen=True)
class FileRecord:
    """The manifest entry of one indexed file."""

    source: str
    sha256: str
    chunks: int
    title: str
    extractor: str = PLAIN_TEXT_ID  # formats (issue 12): what extracted its text ("pdf/1 pypdfium2==5.15.2")
    # the document's date found at ingest (index.documents.dates): ISO, "" undated, None not recorded
    date: str | None = None


def chunk_id(source: str, sha256: str, start: int, end: int) -> str:
    """A chunk's id: stable for the same file content and offsets."""
    return f"{sha256[:16]}:{start}-{end}:{uuid.uuid5(uuid.NAMESPACE_URL, source).hex[:12]}"


class SourcePaths:
    """How file paths are stored. Without a corpus root, as this machine's absolute paths; with one
    (`Settings.root`), a file under it as its path relative to it ("reports/2021.pdf"), so that
    teammates sharing one index each read the sources from their own copy of the corpus. Files
    outside the root keep their absolute paths."""

    def __init__(self, root: str) -> None:
        self.root = Path(os.path.abspath(Path(root).expanduser())) if root else None

    def stored(self, source: str) -> str:
        """`source` (an absolute path on this machine) as the index keeps it."""
        if self.root is None:
            return source
        path = Path(source)
        if path == self.root or self.root not in path.parents:
            return source
        return path.relative_to(self.root).as_posix()

    def local(self, stored: str) -> str:
        """A path as the index keeps it, as an absolute path on this machine."""
        if os.path.isabs(stored) or self.root is None:
            return stored
        return str(self.root / stored)


class Store:
    """Chunk vectors and the file manifest in one Chroma database; paths in and out are this
    machine's absolute paths (`SourcePaths` maps them)."""

    def __init__(self, settings: Settings, create: bool = False) -> None:
        self.settings = settings
        self.location = settings.index
        self.paths = SourcePaths(settings.root)
        self._client = open_client(settings, create)
        try:
            if create:
                self.chunks = self._client.get_or_create_collection(
                    CHUNKS, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
                self.files = self._client.get_or_create_collection(FILES, embedding_function=None)
            else:
                self.chunks = self._client.get_collection(CHUNKS, embedding_function=None)
                self.files = self._client.get_collection(FILES, embedding_function=None)
        except IndexUnreachable:
            raise
        except Exception as error:
            message = str(error).lower()
            if not create and ("does not exist" in message or "not found" in message):
                raise IndexMissing(
                    f"no index in {self.location}: build it with {ingest_command(settings)} (or point --index at one)"
                ) from None
            raise IndexBroken(
                f"index at {self.location} cannot be read ({type(error).__name__}: {error}): "
                "delete it and run `qa ingest` again"
            ) from None
        if self.metadata.get(RELATIVE_PATHS) and self.paths.root is None:
            raise RootMissing(self.location)

    # ---- what the index was built with -------------------------------------------------------
    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.chunks.metadata or {})

    def built_with(self) -> dict[str, Any]:
        """The settings recorded when the index was built (empty for a new index)."""
        return {k: v for k, v in self.metadata.items()
                if k not in ("generation", "format", "hnsw:space", RELATIVE_PATHS)}

    def generation(self) -> str:
        """A token that changes whenever the indexed content changes."""
        return str(self.metadata.get("generation", ""))

    def mark_changed(self, fingerprint: dict[str, Any]) -> None:
        """Record the build settings and a new generation token."""
        relative = bool(self.metadata.get(RELATIVE_PATHS)) or self.paths.root is not None
        self.chunks.modify(metadata={**fingerprint, "format": FORMAT, "generation": uuid.uuid4().hex,
                                     RELATIVE_PATHS: relative})

    def check_compatible(self, encoder: SentenceEncoder | None = None) -> None:
        """Raise IndexBroken when the index was built with other settings than ours (and, given the
        `encoder` that will encode the questions, another model or backend than it)."""
        built = self.built_with()
        wanted = self.settings.index_fingerprint()
        if encoder is not None:
            wanted |= {"model": encoder.model_name, "encoder": encoder.backend}
        differs = {k: (built.get(k), v) for k, v in wanted.items() if built.get(k) != v}
        if not built or not self.count():
            raise IndexMissing(
                f"index at {self.location} holds no documents: add some with {ingest_command(self.settings)}"
            )
        if differs:
            what = ", ".join(f"{k} {old!r} (now {new!r})" for k, (old, new) in differs.items())
            raise IndexOutdated(
                f"index at {self.location} was built with {what}: run `qa ingest` to rebuild it, "
                "or set the old values back"
            )

    def collection(self, name: str, create: bool = False) -> Any | None:
        """Another collection of this database (`index.texts`); None when it is missing and not `create`d."""
        if create:
            return self._client.get_or_create_collection(name, embedding_function=None)
        try:
            return self._client.get_collection(name, embedding_function=None)
        except Exception:  # chromadb's NotFoundError (its kind varies by client)
            return None

    def batch_limit(self) -> int:
        """The most records one Chroma call may write."""
        return int(self._client.get_max_batch_size())

    def reset(self) -> None:
        """Drop the chunks and the manifest (used when the build settings change): stored texts
        (`index.texts`) do not depend on them and stay."""
        for name in (CHUNKS, FILES):
            with contextlib.suppress(Exception):  # already gone
                self._client.delete_collection(name)
        self.chunks = self._client.get_or_create_collection(
            CHUNKS, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        self.files = self._client.get_or_create_collection(FILES, embedding_function=None)

    # ---- files -------------------------------------------------------------------------------
    def file_records(self) -> dict[str, FileRecord]:
        """Every file the index holds completely, by source path."""
        got = self.files.get(include=["metadatas"])
        records = (FileRecord(source=self.paths.local(i), sha256=m["sha256"], chunks=int(m["chunks"]),
                              title=str(m.get("title", "")), extractor=str(m.get("extractor", PLAIN_TEXT_ID)),
                              date=str(m["date"]) if "date" in m else None)
                   for i, m in zip(got["ids"], got["metadatas"] or [], strict=True))
        return {r.source: r for r in records}

    def put_files(self, records: list[FileRecord]) -> None:
        """Write manifest entries (after the files' chunks are stored)."""
        limit = self._client.get_max_batch_size()
        for first in range(0, len(records), limit):
            part = records[first : first + limit]
            self.files.upsert(
                ids=[self.paths.stored(r.source) for r in part],
                embeddings=[[0.0]] * len(part),
                metadatas=[{"sha256": r.sha256, "chunks": r.chunks, "title": r.title, "extractor": r.extractor,
                            "date": r.date or ""} for r in part],
            )

    def delete_files(self, sources: list[str]) -> list[str]:
        """Remove files' manifest entries first, then their chunks; returns the chunks' ids."""
        limit = self._client.get_max_batch_size()
        deleted: list[str] = []
        for first in range(0, len(sources), limit):
            part = [self.paths.stored(source) for source in sources[first : first + limit]]
            self.files.delete(ids=part)
            ids = self.chunks.get(where={"source": {"$in": part}}, include=[])["ids"]
            for start in range(0, len(ids), limit):
                self.chunks.delete(ids=ids[start : start + limit])
            deleted.extend(ids)
        return deleted

    def remove_orphans(self, known: dict[str, FileRecord]) -> int:
        """Delete chunks of files missing from the manifest (left by an interrupted ingest)."""
        if self.count() == sum(r.chunks for r in known.values()):
            return 0
        got = self.chunks.get(include=["metadatas"])
        orphans = [i for i, m in zip(got["ids"], got["metadatas"], strict=True)
                   if self.paths.local(str(m["source"])) not in known]
        for first in range(0, len(orphans), 5000):
            self.chunks.delete(ids=orphans[first : first + 5000])
        return len(orphans) or 1

    # ---- chunks ------------------------------------------------------------------------------
    def add_chunks(self, records: list[ChunkRecord], vectors: np.ndarray) -> None:
        limit = self._client.get_max_batch_size()
        for first in range(0, len(records), limit):
            part = records[first : first + limit]
            self.chunks.upsert(
                ids=[r.id for r in part],
                embeddings=vectors[first : first + limit],
                documents=[r.text for r in part],
                metadatas=[
                    {"source": self.paths.stored(r.source), "start": r.start, "end": r.end, "line": r.line,
                     "title": r.title,
                     "sentences": ",".join(map(str, r.sentence_starts)),
                     "sentence_ends": ",".join(map(str, r.sentence_ends)),
                     "sentence_vectors": base64.b64encode(r.sentence_vectors).decode("ascii")}
                    for r in part
                ],
            )

    def count(self) -> int:
        return int(self.chunks.count())

    def all_chunks(self, batch: int = 5000) -> Iterator[ChunkRecord]:
        """Every stored chunk, in pages."""
        total = self.count()
        for offset in range(0, total, batch):
            got = self.chunks.get(include=["documents", "metadatas"], limit=batch, offset=offset)
            yield from (
                self._record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            )

    def chunk_ids(self, batch: int = 20000) -> list[str]:
        """The ids of every stored chunk."""
        ids: list[str] = []
        for offset in range(0, self.count(), batch):
            ids.extend(self.chunks.get(include=[], limit=batch, offset=offset)["ids"])
        return ids

    def get_chunks(self, ids: list[str]) -> dict[str, ChunkRecord]:
        got = self.present(ids, ["documents", "metadatas"])
        return {i: self._record(i, d, m)
                for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)}

    def present(self, ids: list[str], include: list[str]) -> dict[str, list[Any]]:
        """`chunks.get` of the ids that are still there. An ingest may delete some between the search
        and this read; Chroma then fails the whole read ("Error finding id"), so it is read again id by
        id and the deleted ones are left out."""
        try:
            got = self.chunks.get(ids=ids, include=include)
            return {"ids": list(got["ids"]), **{key: list(got[key]) for key in include}}
        except Exception:  # chromadb's InternalError; anything else fails again below, one id at a time
            rows: dict[str, list[Any]] = {"ids": [], **{key: [] for key in include}}
            for one in ids:
                with contextlib.suppress(Exception):
                    got = self.chunks.get(ids=[one], include=include)
                    if got["ids"]:
                        rows["ids"].append(got["ids"][0])
                        for key in include:
                            rows[key].append(got[key][0])
            return rows

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The `k` chunks closest to `vector`: (id, cosine similarity), best first."""
        k = min(k, self.count())
        if k <= 0:
            return []
        got = self.chunks.query(query_embeddings=[vector], n_results=k, include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]


    def _record(self, chunk: str, text: str, meta: dict[str, Any]) -> ChunkRecord:
        return _record(chunk, text, meta, self.paths.local(str(meta["source"])))


def _record(chunk: str, text: str, meta: dict[str, Any], source: str) -> ChunkRecord:
    return ChunkRecord(
        id=chunk,
        source=source,
        start=int(meta["start"]),
        end=int(meta["end"]),
        line=int(meta["line"]),
        text=text,
        title=str(meta.get("title", "")),
        sentence_starts=tuple(int(x) for x in str(meta.get("sentences", "")).split(",") if x),
        sentence_vectors=base64.b64decode(str(meta.get("sentence_vectors", ""))),
        sentence_ends=tuple(int(x) for x in str(meta.get("sentence_ends", "")).split(",") if x),
    )
