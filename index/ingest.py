"""Ingesting files: read, chunk, embed and store only what changed since the last run."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from config.errors import PathMissing, QAError, UnreadableFile
from config.settings import Settings
from index.documents.chunking import TITLE_SEPARATOR, document_chunks
from index.documents.dates import dated
from index.documents.formats import formats
from index.documents.formats.ocr import PageReader
from index.documents.lines import Span, line_bounds, line_of, wrap_width
from index.documents.read import Document, display_path, find_files, fingerprint, read_document
from index.documents.sentences import split_sentences
from index.encoder_protocol import SentenceEncoder
from index.ingest_report import IngestReport
from index.lexical import LexicalIndex, bm25_dir
from index.lexical_sync import embedding_text, lexical_in_line, lexical_text
from index.locking import writer_lock
from index.parses import keep_parses
from index.store import ChunkRecord, FileRecord, Store, chunk_id
from index.texts import CanonicalTexts, StoredText, read_for_index, text_of

Progress = Callable[[int, int], None]


class IngestInterrupted(QAError):
    """Ctrl-C during an ingest: what was stored is kept and says so."""

    def __init__(self, kept: int, total: int) -> None:
        self.kept, self.total = kept, total
        super().__init__(f"interrupted: kept {kept:,} of {total:,} chunks; run again to finish")


# Texts sorted by length together before they are cut into model batches (`settings.batch_size`): the
# more, the less padding; progress is reported after each.
ENCODE_STEP = 256


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


def document_title(document: Document, records: list[ChunkRecord]) -> str:
    """The document's own title, as its chunks carry it before any section ("Report › Results")."""
    title = records[0].title if records else document.path.stem
    return title.split(TITLE_SEPARATOR)[0]


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
    waiting: Callable[[str], None] | None = None,
    follow_links: bool = False,
    ocr: PageReader | None = None,
) -> IngestReport:
    """Bring the index up to date with the files under `paths`.

    Unchanged files (same SHA-256) cost a hash; changed files are re-chunked and re-embedded;
    files that were indexed under one of `paths` and are gone are removed. An index built with
    other model, encoder or chunking settings is rebuilt from scratch. Work is stored in windows
    of `settings.ingest_window` chunks, so an interruption loses at most one window; Ctrl-C
    raises IngestInterrupted, saying how much was kept.

    One ingest writes to an index at a time: a second one says so through `waiting` and waits. A
    link that leads out of the folders named is not followed unless `follow_links`. A PDF's pages
    that are images of text are read by `ocr` (one without progress when not given), and the text
    kept with the index (`index.texts`).
    """
    paths = list(paths)
    for path in paths:  # before anything is opened, created or removed
        if not os.path.lexists(Path(path).expanduser()):
            raise PathMissing(display_path(path))
    with writer_lock(settings, waiting):
        return _ingest(paths, settings, encoder, store, progress, warn, follow_links, ocr or PageReader())


def _ingest(paths: list[Path], settings: Settings, encoder: SentenceEncoder, store: Store | None,
            progress: Progress | None, warn: Callable[[str], None] | None, follow_links: bool,
            ocr: PageReader) -> IngestReport:
    began = time.perf_counter()
    store = store or Store(settings, create=True)
    report = IngestReport()
    texts = CanonicalTexts(store)
    # the encoder's own model and backend: what actually makes the vectors
    wanted = {**settings.index_fingerprint(), "model": encoder.model_name, "encoder": encoder.backend}
    built = store.built_with()
    if built and any(built.get(k) != v for k, v in wanted.items()):
        report.rebuilt = ", ".join(f"{k} {built.get(k)!r} → {v!r}" for k, v in wanted.items() if built.get(k) != v)
        if warn:
            warn(f"index was built with other settings ({report.rebuilt}): rebuilding it")
        store.reset()

    roots = [Path(os.path.abspath(Path(p).expanduser())) for p in paths]
    known = store.file_records()
    repaired = store.remove_orphans(known)
    todo = _changed_files(roots, settings, encoder, known, report, follow_links, (texts, ocr))
    report.ocr_pages, report.ocr_seconds = ocr.pages, ocr.seconds
    seen = set(report.unchanged) | {str(prepared.document.path) for prepared in todo}
    gone = [s for s in sorted(known) if s not in seen and _under(s, roots) and not Path(s).is_file()]
    generation = store.generation()
    max_bytes = int(settings.max_file_mb * 1e6)
    report.parsed = keep_parses(store, [(p.document.sha256, p.document.text) for p in todo],
                                {s: known[s].sha256 for s in report.unchanged},
                                lambda source: read_for_index(Path(source), max_bytes, texts, ocr).text, warn,
                                (record.sha256 for source, record in known.items() if source not in seen))
    if not (todo or gone or report.rebuilt or repaired) and generation \
            and LexicalIndex.saved_generation(bm25_dir(settings)) == generation:
        report.chunks_total = store.count()  # nothing changed, and BM25 matches: nothing to load
        report.seconds = time.perf_counter() - began
        return report
    lexical = lexical_in_line(store, settings)
    with contextlib.suppress(OSError):  # a read-only cache only costs a rebuild next time
        lexical.save(bm25_dir(settings))
    # A new generation before anything changes: if this run is killed midway, the BM25 copy
    # saved for the old content no longer matches and is brought in line with what Chroma holds.
    if todo or gone or report.rebuilt or repaired or not store.generation():
        store.mark_changed(wanted)
        lexical.generation = store.generation()
    try:
        _remove_files(gone, store, lexical)
        report.removed.extend(gone)
        _embed_in_windows(todo, (store, texts), encoder, settings, lexical, report, progress)
        texts.keep_only({record.sha256 for record in store.file_records().values()})
    finally:
        report.chunks_tokenized = lexical.texts_tokenized
        # a read-only cache only costs a reconciliation next time; an index folder deleted meanwhile is
        # not made again holding only BM25
        if settings.is_remote or Path(settings.index).is_dir():
            with contextlib.suppress(OSError):
                lexical.save(bm25_dir(settings))
    report.chunks_total = store.count()
    report.seconds = time.perf_counter() - began
    return report


def lines_left_out(text: str, records: list[ChunkRecord]) -> tuple[int, int]:
    """The non-blank lines of `text` that no chunk holds any of, and all its non-blank lines (the chunks
    in document order: each starts and ends after the one before)."""
    spans = [(r.start, r.end) for r in records]
    left = total = 0
    chunk = 0
    for start, end in line_bounds(text):
        if not text[start:end].strip():
            continue
        total += 1
        while chunk < len(spans) and spans[chunk][1] <= start:
            chunk += 1
        left += not (chunk < len(spans) and spans[chunk][0] < end)
    return left, total


def _remove_files(sources: list[str], store: Store, lexical: LexicalIndex) -> None:
    """Files' chunks out of Chroma, then out of BM25. Until both are done the BM25 copy is not
    known to match Chroma (an empty generation), so an interruption between them is repaired."""
    generation, lexical.generation = lexical.generation, ""
    lexical.remove(store.delete_files(sources))
    lexical.generation = generation


@dataclass(frozen=True)
class Prepared:
    """A new or changed file, read and chunked: each chunk with its sentences (offsets in the chunk)."""

    document: Document
    was_known: bool
    records: list[ChunkRecord]
    sentences: list[list[Span]]


def _changed_files(roots: list[Path], settings: Settings, encoder: SentenceEncoder, known: dict[str, FileRecord],
                   report: IngestReport, follow_links: bool, reading: tuple[CanonicalTexts, PageReader]
                   ) -> list[Prepared]:
    """The files under `roots` that are new or changed, read and chunked; the unchanged and the
    unreadable ones go into `report`. Each file is read in its own guard: whatever goes wrong with
    one (a library's error on a corrupt file included) skips that file with its reason, is tried
    again by the next ingest, and the rest goes on."""
    todo: list[Prepared] = []
    max_bytes = int(settings.max_file_mb * 1e6)
    held = reading[0].held()
    late: dict[str, StoredText] = {}  # texts of unchanged files indexed before every text was kept
    for found in find_files(roots, settings.extensions, follow_links):
        if isinstance(found, UnreadableFile):
            report.skipped.append(found)
            continue
        source = str(found)
        record = known.get(source)
        try:
            # formats (issue 12): the bytes' hash and the extractor's version decide, before extracting
            if record and (record.sha256, record.extractor) == fingerprint(found):
                report.unchanged.append(source)
                if record.sha256 not in held and record.sha256 not in late and (text := _late_text(found, max_bytes)):
                    late[record.sha256] = text
                continue
            todo.append(_prepare(read_for_index(found, max_bytes, *reading), record is not None, settings, encoder))
        except UnreadableFile as problem:
            report.skipped.append(problem)
            continue
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as error:  # one file's failure, whatever it is, is that file's alone
            report.skipped.append(failed_file(found, error))
            continue
        # read as another format than its name says (`index.documents.formats.format_of`):
        # the suffix of the one it was read as
        read_as = next(suffix for suffix, known in formats().items() if known.id == todo[-1].document.extractor)
        if formats()[read_as].name != formats()[found.suffix.lower()].name:
            report.misnamed.append((source, read_as))
    reading[0].put(late)
    report.texts_kept = len(late)
    return todo


def _late_text(path: Path, max_bytes: int) -> StoredText | None:
    """The text of an unchanged file that an index made before every text was kept lacks; None when it
    cannot be read now (its passages are then checked by reading it at question time, as before)."""
    try:
        return text_of(read_document(path, max_bytes))
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception:  # the file is indexed and stays so: only its text is not kept
        return None


def failed_file(path: Path, error: Exception) -> UnreadableFile:
    """A file that failed in a way no rule foresaw, named with what went wrong."""
    said = " ".join(str(error).split())[:160]
    reason = f"{type(error).__name__}: {said}" if said else type(error).__name__
    return UnreadableFile(display_path(path), f"could not be read ({reason})",
                          "check that it opens in its own program; the next ingest tries it again",
                          kind="failed")


def _prepare(document: Document, was_known: bool, settings: Settings, encoder: SentenceEncoder) -> Prepared:
    """A document's chunks and each chunk's sentences, as its text splits them (a wrapped line runs on)."""
    records = chunk_document(document, settings, encoder)
    width = wrap_width(document.text)
    sentences = [[Span(s.start - r.start, s.end - r.start) for s in split_sentences(document.text, r.start, r.end,
                                                                                        width)]
                 for r in records]
    return Prepared(document, was_known, records, sentences)


def _embed_in_windows(pending: list[Prepared], stores: tuple[Store, CanonicalTexts], encoder: SentenceEncoder,
                      settings: Settings, lexical: LexicalIndex, report: IngestReport,
                      progress: Progress | None) -> None:
    """Embed and store the chunked files a window of whole files at a time (a window is about
    `settings.ingest_window` chunks: enough for even model batches and few Chroma writes, few
    enough that an interruption loses little)."""
    for prepared in pending:
        report.lines_left_out[str(prepared.document.path)] = lines_left_out(prepared.document.text, prepared.records)
        extracted = prepared.document.extracted
        if extracted.kept is not None:
            report.kept[str(prepared.document.path)] = (extracted.kept, extracted.how)
    total = sum(len(prepared.records) for prepared in pending)
    done = 0
    if progress:
        progress(0, total)
    window: list[Prepared] = []
    try:
        for position, item in enumerate(pending):
            window.append(item)
            if sum(len(p.records) for p in window) >= settings.ingest_window or position == len(pending) - 1:
                done = _embed_and_store(window, stores, encoder, settings, lexical, report, done, total, progress)
                window = []
    except KeyboardInterrupt:
        # Counted from the manifest: Ctrl-C can land just after a store call has committed, before
        # this run has counted that window.
        stored = stores[0].file_records()
        kept = sum(len(p.records) for p in pending if (record := stored.get(str(p.document.path))) is not None
                   and record.sha256 == p.document.sha256)
        raise IngestInterrupted(kept, total) from None


def _embed_and_store(
    window: list[Prepared],
    stores: tuple[Store, CanonicalTexts],
    encoder: SentenceEncoder,
    settings: Settings,
    lexical: LexicalIndex,
    report: IngestReport,
    done: int,
    total: int,
    progress: Progress | None,
) -> int:
    """Embed a window of files' chunks, then store them: changed files' old chunks out, all new
    chunks in, the files' texts (`index.texts`; a scan's is kept as it is read), and only then the
    files' manifest entries; then the same change to BM25.

    Texts are encoded in order of length, so each model batch holds texts of about one length and
    little padding is computed.
    """
    records = [r for prepared in window for r in prepared.records]
    chunk_sentences = [spans for prepared in window for spans in prepared.sentences]
    order = sorted(range(len(records)), key=lambda i: len(records[i].text))
    vectors = np.zeros((len(records), encoder.dimension), dtype=np.float32)
    step = ENCODE_STEP
    for first in range(0, len(order), step):
        part = order[first : first + step]
        texts = [embedding_text(records[i]) for i in part]
        # each chunk's sentences, as offsets into its own text; the title ahead of it shifts them
        spans = [chunk_sentences[i] for i in part]
        shifts = [len(text) - len(records[i].text) for i, text in zip(part, texts, strict=True)]
        ranges = [[(s.start + shift, s.end + shift) for s in chunk] for chunk, shift in zip(spans, shifts, strict=True)]
        vectors[part], sentences = encoder.encode_with_parts(texts, ranges, batch_size=settings.batch_size)
        for i, sentences_of, found in zip(part, spans, sentences, strict=True):
            records[i] = dataclasses.replace(
                records[i], sentence_starts=tuple(records[i].start + s.start for s in sentences_of),
                sentence_ends=tuple(records[i].start + s.end for s in sentences_of),
                sentence_vectors=found.astype(np.float16).tobytes())
        if progress:
            progress(done + min(len(order), first + step), total)
    generation, lexical.generation = lexical.generation, ""  # as in _remove_files
    store, texts = stores
    replaced = store.delete_files([str(p.document.path) for p in window if p.was_known])
    if records:
        store.add_chunks(records, vectors)
    texts.put({p.document.sha256: text_of(p.document) for p in window if not p.document.extracted.read_by_ocr})
    store.put_files([file_record(p.document, p.records) for p in window])
    for p in window:  # stored now: counted as kept, whatever comes next
        (report.changed if p.was_known else report.added).append(str(p.document.path))
        report.chunks_embedded += len(p.records)
    lexical.remove(replaced)
    lexical.add([r.id for r in records], [lexical_text(r) for r in records])
    lexical.generation = generation
    return done + len(records)


def file_record(document: Document, records: list[ChunkRecord]) -> FileRecord:
    """The manifest entry of a document stored as `records`, with its own date."""
    return FileRecord(
        source=str(document.path),
        sha256=document.sha256,
        chunks=len(records),
        title=records[0].title if records else document.path.stem,
        extractor=document.extractor,  # formats (issue 12)
        date=dated(document.text, document.path.name, document_title(document, records), document.extracted.date),
    )
