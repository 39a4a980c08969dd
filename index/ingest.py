"""Ingesting files: read, chunk, embed and store only what changed since the last run."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.chunking import document_chunks, split_sentences
from index.documents import Document, find_files, fingerprint, read_document
from index.encoder_protocol import SentenceEncoder
from index.errors import UnreadableFile
from index.lexical import LexicalIndex, bm25_dir
from index.lines import line_of
from index.settings import Settings
from index.store import ChunkRecord, FileRecord, Store, chunk_id

Progress = Callable[[int, int], None]


@dataclass
class IngestReport:
    """What an ingest did, for its one-line summary."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[UnreadableFile] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_total: int = 0
    rebuilt: str = ""
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; "
            f"{self.chunks_embedded} chunks embedded, {self.chunks_total} in the index; {self.seconds:.1f} s"
        )


def chunk_document(document: Document, settings: Settings, encoder: SentenceEncoder) -> list[ChunkRecord]:
    """The chunk records of one document, each `document.text[start:end]`."""
    source = str(document.path)
    # formats (issue 12): the canonical text's chunks, each titled by its document and section
    spans = document_chunks(
        document.extracted,
        document.path.stem,
        max_tokens=min(settings.chunk_tokens, encoder.max_tokens),
        overlap=settings.overlap_sentences,
        count_tokens=encoder.count_tokens,
    )
    return [
        ChunkRecord(
            id=chunk_id(source, document.sha256, s.start, s.end),
            source=source,
            start=s.start,
            end=s.end,
            line=line_of(document.text, s.start),
            text=document.text[s.start : s.end],
            title=title,
        )
        for s, title in spans
    ]


def embedding_text(record: ChunkRecord) -> str:
    """What the model reads for a chunk: the document's title, then the chunk (the title carries
    the topic that a chunk's own sentences often leave implicit)."""
    return f"{record.title}. {record.text}" if record.title else record.text


def _under(source: str, roots: list[Path]) -> bool:
    path = Path(source)
    return any(path == root or root in path.parents for root in roots)


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    encoder: SentenceEncoder,
    store: Store | None = None,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
) -> IngestReport:
    """Bring the index up to date with the files under `paths`.

    Unchanged files (same SHA-256) cost a hash; changed files are re-chunked and re-embedded;
    files that were indexed under one of `paths` and are gone are removed. An index built with
    other model or chunking settings is rebuilt from scratch.
    """
    began = time.perf_counter()
    store = store or Store(settings, create=True)
    report = IngestReport()
    built, wanted = store.built_with(), settings.index_fingerprint()
    if built and any(built.get(k) != v for k, v in wanted.items()):
        report.rebuilt = ", ".join(f"{k} {built.get(k)!r} → {v!r}" for k, v in wanted.items() if built.get(k) != v)
        if warn:
            warn(f"index was built with other settings ({report.rebuilt}): rebuilding it")
        store.reset()

    roots = [Path(os.path.abspath(Path(p).expanduser())) for p in paths]
    known = store.file_records()
    repaired = store.remove_orphans(known)
    seen: set[str] = set()
    todo: list[tuple[Document, bool]] = []
    max_bytes = int(settings.max_file_mb * 1e6)
    for found in find_files(roots, settings.extensions):
        if isinstance(found, UnreadableFile):
            report.skipped.append(found)
            continue
        source = str(found)
        seen.add(source)
        record = known.get(source)
        try:
            # formats (issue 12): the bytes' hash and the extractor's version decide, before extracting
            if record and (record.sha256, record.extractor) == fingerprint(found):
                report.unchanged.append(source)
                continue
            document = read_document(found, max_bytes)
        except UnreadableFile as problem:
            report.skipped.append(problem)
            continue
        todo.append((document, record is not None))

    gone = [s for s in sorted(known) if s not in seen and _under(s, roots) and not Path(s).is_file()]
    # A new generation before anything changes: if this run is killed midway, the BM25 copy
    # saved for the old content no longer matches and is rebuilt from what Chroma holds.
    if todo or gone or report.rebuilt or repaired or not store.generation():
        store.mark_changed(wanted)
    store.delete_files(gone)
    report.removed.extend(gone)

    total_chunks = 0
    pending: list[tuple[Document, bool, list[ChunkRecord]]] = []
    for document, was_known in todo:
        records = chunk_document(document, settings, encoder)
        pending.append((document, was_known, records))
        total_chunks += len(records)

    done = 0
    if progress:
        progress(0, total_chunks)
    window: list[tuple[Document, bool, list[ChunkRecord]]] = []
    window_chunks = 0
    for item in pending:
        window.append(item)
        window_chunks += len(item[2])
        # Chunks embedded together before they are written (settings.ingest_window): enough for
        # even model batches and few Chroma writes, few enough that an interruption loses little.
        if window_chunks >= settings.ingest_window:
            done = _embed_and_store(window, store, encoder, settings, report, done, total_chunks, progress)
            window, window_chunks = [], 0
    if window:
        _embed_and_store(window, store, encoder, settings, report, done, total_chunks, progress)

    refresh_lexical(store, settings)
    report.chunks_total = store.count()
    report.seconds = time.perf_counter() - began
    return report


def _embed_and_store(
    window: list[tuple[Document, bool, list[ChunkRecord]]],
    store: Store,
    encoder: SentenceEncoder,
    settings: Settings,
    report: IngestReport,
    done: int,
    total: int,
    progress: Progress | None,
) -> int:
    """Embed a window of files' chunks, then store them: changed files' old chunks out, all new
    chunks in, and only then the files' manifest entries.

    Texts are encoded in order of length, so each model batch holds texts of about one length and
    little padding is computed.
    """
    records = [r for _, _, file_records in window for r in file_records]
    order = sorted(range(len(records)), key=lambda i: len(records[i].text))
    vectors = np.zeros((len(records), encoder.dimension), dtype=np.float32)
    step = settings.batch_size * 4
    for first in range(0, len(order), step):
        part = order[first : first + step]
        texts = [embedding_text(records[i]) for i in part]
        # each chunk's sentences, as offsets into its own text; the title ahead of it shifts them
        spans = [split_sentences(records[i].text, 0, len(records[i].text)) for i in part]
        shifts = [len(text) - len(records[i].text) for i, text in zip(part, texts, strict=True)]
        ranges = [[(s.start + shift, s.end + shift) for s in chunk] for chunk, shift in zip(spans, shifts, strict=True)]
        vectors[part], sentences = encoder.encode_with_parts(texts, ranges, batch_size=settings.batch_size)
        for i, chunk_sentences, found in zip(part, spans, sentences, strict=True):
            records[i] = dataclasses.replace(
                records[i], sentence_starts=tuple(records[i].start + s.start for s in chunk_sentences),
                sentence_vectors=found.astype(np.float16).tobytes())
        if progress:
            progress(done + min(len(order), first + step), total)
    store.delete_files([str(document.path) for document, was_known, _ in window if was_known])
    if records:
        store.add_chunks(records, vectors)
    store.put_files(
        [
            FileRecord(
                source=str(document.path),
                sha256=document.sha256,
                chunks=len(file_records),
                title=file_records[0].title if file_records else document.path.stem,
                extractor=document.extractor,  # formats (issue 12)
            )
            for document, _, file_records in window
        ]
    )
    for document, was_known, file_records in window:
        (report.changed if was_known else report.added).append(str(document.path))
        report.chunks_embedded += len(file_records)
    return done + len(records)


def refresh_lexical(store: Store, settings: Settings) -> LexicalIndex:
    """The BM25 index of the store's current chunks: loaded if up to date, else rebuilt and saved."""
    folder = bm25_dir(settings)
    generation = store.generation()
    current = LexicalIndex.load(folder)
    if current is not None and current.generation == generation and generation:
        return current
    ids: list[str] = []
    texts: list[str] = []
    for record in store.all_chunks():
        ids.append(record.id)
        texts.append(record.text)
    lexical = LexicalIndex.build(ids, texts, generation)
    with contextlib.suppress(OSError):  # a read-only cache only costs a rebuild next time
        lexical.save(folder)
    return lexical
