"""BM25 brought in line with the chunks Chroma holds, without writing: what asking opens, and what an
ingest saves."""

from __future__ import annotations

from config.settings import Settings
from index.lexical import LexicalIndex, bm25_dir
from index.store import ChunkRecord, Store


def embedding_text(record: ChunkRecord) -> str:
    """What the model reads for a chunk: the document's title, then the chunk (the title carries
    the topic that a chunk's own sentences often leave implicit)."""
    return f"{record.title}. {record.text}" if record.title else record.text


def lexical_text(record: ChunkRecord) -> str:
    """What BM25 counts for a chunk: its title too, as the model reads it (`embedding_text`)."""
    return embedding_text(record)


def lexical_in_line(store: Store, settings: Settings) -> LexicalIndex:
    """The BM25 index of the store's current chunks: the saved one if up to date; else brought in line
    by chunk ids (only chunks it lacks are tokenized) or, if it cannot be read, built. Nothing is
    written: the ingest saves it (a reader may ask while an ingest writes, or from a read-only folder)."""
    generation = store.generation()
    current = LexicalIndex.load(bm25_dir(settings))
    if current is not None and current.generation == generation and generation:
        return current
    if current is None:
        ids: list[str] = []
        texts: list[str] = []
        for record in store.all_chunks():
            ids.append(record.id)
            texts.append(lexical_text(record))
        return LexicalIndex.build(ids, texts, generation)
    stored = store.chunk_ids()
    held = set(current.ids)
    current.remove(sorted(held.difference(stored)))
    missing = [chunk for chunk in stored if chunk not in held]
    for first in range(0, len(missing), 5000):
        found = store.get_chunks(missing[first : first + 5000])
        current.add(list(found), [lexical_text(record) for record in found.values()])
    current.generation = generation
    return current
