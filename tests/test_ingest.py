"""Ingest is incremental by content, refuses bad files with one line each, and never loses what
is already indexed."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from config.errors import IndexBroken, PathMissing
from config.settings import Settings
from index.ingest import ingest
from index.store import Store
from qa.engine import Assistant


def count_embedded(encoder, action):  # type: ignore[no-untyped-def]
    before = encoder.texts_encoded
    result = action()
    return result, encoder.texts_encoded - before


def test_reingesting_an_unchanged_corpus_embeds_nothing(tmp_path: Path, corpus_copy: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(index=str(tmp_path / "index"))
    first, embedded = count_embedded(encoder, lambda: ingest([corpus_copy], settings, encoder))
    assert len(first.added) == 5 and embedded == first.chunks_embedded > 20
    again, embedded = count_embedded(encoder, lambda: ingest([corpus_copy], settings, encoder))
    assert embedded == 0 and len(again.unchanged) == 5 and again.chunks_total == first.chunks_total


def test_a_changed_file_reembeds_only_itself_and_a_removed_file_leaves(
    tmp_path: Path,
    corpus_copy: Path,
    encoder,  # type: ignore[no-untyped-def]
) -> None:
    settings = Settings(index=str(tmp_path / "index"))
    first = ingest([corpus_copy], settings, encoder)
    changed = corpus_copy / "2015-12-01-state-dept-migration-talks.txt"
    old_chunks = Store(settings).file_records()[str(changed)].chunks
    changed.write_text(
        changed.read_text(encoding="utf-8")
        + "\nThe delegations will meet again in the spring of the next year in Havana.\n",
        encoding="utf-8",
    )
    report, embedded = count_embedded(encoder, lambda: ingest([corpus_copy], settings, encoder))
    store = Store(settings)
    own_chunks = store.file_records()[str(changed)].chunks
    assert report.changed == [str(changed)] and embedded == own_chunks < first.chunks_total

    removed = corpus_copy / "2010-voa-advancing-the-dialogue-with-cuba.txt"
    removed_chunks = store.file_records()[str(removed)].chunks
    removed.unlink()
    report = ingest([corpus_copy], settings, encoder)
    assert report.removed == [str(removed)]
    assert (
        Store(settings).count() == report.chunks_total == first.chunks_total - old_chunks + own_chunks - removed_chunks
    )
    sources = {c.source for c in Store(settings).all_chunks()}
    assert str(removed) not in sources and len(sources) == 4
    answer = Assistant.open(settings, encoder).ask("who is Craig Kelley?")
    assert all("2010-voa" not in p.citation.source for p in answer.passages)


def test_bad_files_are_skipped_with_one_line_each_and_nothing_indexed_is_lost(
    tmp_path: Path,
    corpus_copy: Path,
    encoder,  # type: ignore[no-untyped-def]
) -> None:
    settings = Settings(index=str(tmp_path / "index"))
    before = ingest([corpus_copy], settings, encoder).chunks_total
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_text("")
    (bad / "blank.md").write_text("   \n\n")
    (bad / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    (bad / "latin1.txt").write_bytes("Caf\xe9 au lait is served in the morning at the harbour.".encode("latin-1"))
    (bad / "huge.txt").write_text("The bridge was closed for repairs again this week. " * 220_000)
    (bad / "broken-link.txt").symlink_to(tmp_path / "nowhere.txt")
    (bad / "notes.pdf").write_bytes(b"%PDF-1.4")
    (bad / "slides.pptx").write_bytes(b"PK\x03\x04 not read")
    report = ingest([corpus_copy, bad, bad / "slides.pptx"], settings, encoder)
    messages = {Path(p.path).name: str(p) for p in report.skipped}
    assert "empty file" in messages["empty.txt"] and "empty file" in messages["blank.md"]
    assert "binary" in messages["binary.txt"] and "convert it" in messages["binary.txt"]
    assert "not UTF-8" in messages["latin1.txt"] and "UTF-8" in messages["latin1.txt"]
    assert "too large" in messages["huge.txt"] and "11.2 MB" in messages["huge.txt"]
    assert "no such file" in messages["broken-link.txt"]
    with pytest.raises(PathMissing, match="missing-folder: no such file or folder; nothing was indexed or removed"):
        ingest([corpus_copy, tmp_path / "missing-folder"], settings, encoder)  # a path named that is not there
    assert "unsupported format .pptx" in messages["slides.pptx"] and "truncated PDF" in messages["notes.pdf"]
    assert all("\n" not in m for m in messages.values())
    assert report.chunks_total == before and len(report.unchanged) == 5


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_named(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    locked = tmp_path / "locked.txt"
    locked.write_text("The council voted to close the harbour bridge for repairs next spring.")
    locked.chmod(0)
    report = ingest([locked], Settings(index=str(tmp_path / "index")), encoder)
    assert "cannot read" in str(report.skipped[0])


def test_changed_chunk_settings_rebuild_the_index(tmp_path: Path, corpus_copy: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(index=str(tmp_path / "index"))
    first = ingest([corpus_copy], settings, encoder)
    warnings: list[str] = []
    smaller = settings.replace(chunk_tokens=60)
    report = ingest([corpus_copy], smaller, encoder, warn=warnings.append)
    assert "chunk_tokens 160" in report.rebuilt and warnings
    assert report.chunks_total > first.chunks_total and len(report.added) == 5
    with pytest.raises(IndexBroken, match="chunk_tokens 60"):
        Assistant.open(settings, encoder)


def test_an_index_built_with_another_model_is_refused_with_what_to_do(
    tmp_path: Path,
    corpus_copy: Path,
    encoder,  # type: ignore[no-untyped-def]
) -> None:
    settings = Settings(index=str(tmp_path / "index"))
    ingest([corpus_copy], settings, encoder)
    other = settings.replace(model=str(tmp_path / "another-model"))
    with pytest.raises(IndexBroken) as caught:
        Assistant.open(other)
    assert "model 'all-MiniLM-L6-v2'" in str(caught.value) and "qa ingest" in str(caught.value)


def test_a_file_edited_after_indexing_is_reported_stale_not_misquoted(
    tmp_path: Path,
    corpus_copy: Path,
    encoder,  # type: ignore[no-untyped-def]
) -> None:
    settings = Settings(index=str(tmp_path / "index"))
    ingest([corpus_copy], settings, encoder)
    path = corpus_copy / "2014-07-voa-us-committed-to-legal-cuban-migration.txt"
    path.write_text("Breaking: " + path.read_text(encoding="utf-8"), encoding="utf-8")
    answer = Assistant.open(settings, encoder).ask("when were talks suspended?")
    assert str(path) in answer.stale
    for passage in answer.passages:
        text = Path(passage.citation.path).read_text(encoding="utf-8")
        assert text[passage.citation.start : passage.citation.end] == passage.text
    # the terminal says so before the passages it answered without the file, and tells a
    # deleted file from an edited one
    import io

    from qa.terminal import Style, render_answer

    plain = Style(io.StringIO())
    # passages of its unchanged parts may still be shown (checked above): only the others were left out
    assert render_answer(answer, plain, 100).startswith(f"{path} changed since it was indexed; passages no longer in")
    path.unlink()
    gone = Assistant.open(settings, encoder).ask("when were talks suspended?")
    assert render_answer(gone, plain, 100).startswith(f"{path} is gone since it was indexed; its passages")


def test_every_sentence_of_every_chunk_has_a_vector_that_stands_for_it(corpus_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    """Sentence vectors come out of the chunk's own encoding: one per sentence, each closer to its
    own sentence (encoded alone) than to any other sentence of the chunk."""
    from index.documents.sentences import split_sentences

    chunks = list(Store(corpus_settings).all_chunks())
    assert chunks
    matched = compared = 0
    own: list[float] = []
    for chunk in chunks:
        spans = split_sentences(chunk.text, 0, len(chunk.text))
        assert chunk.sentence_starts == tuple(chunk.start + s.start for s in spans)
        stored = np.stack([chunk.sentence_vector(start, encoder.dimension) for start in chunk.sentence_starts])
        assert np.allclose(np.linalg.norm(stored.astype(np.float32), axis=1), 1.0, atol=1e-2)
        alone = encoder.encode([chunk.text[s.start : s.end] for s in spans])
        similarity = stored.astype(np.float32) @ alone.T
        if len(spans) > 1:
            matched += int((similarity.argmax(axis=1) == np.arange(len(spans))).sum())
            compared += len(spans)
        own.extend(similarity.diagonal().tolist())
    print(f"{matched}/{compared} nearest their own sentence; similarity: mean {np.mean(own):.2f}, min {min(own):.2f}")
    assert matched / compared >= 0.9, f"only {matched} of {compared} sentence vectors are nearest their own sentence"
    assert np.mean(own) > 0.6
