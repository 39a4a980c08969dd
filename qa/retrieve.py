"""Hybrid retrieval: BM25 and dense (Chroma) candidates, fused into one ranking.

The candidate pool is the union of the BM25 top `candidates` and the dense top `candidates`. Every
chunk in the pool gets both of its exact scores (the BM25 score of a dense-only chunk and the
cosine similarity of a BM25-only chunk are looked up, not guessed), each side is z-scored over
the pool, and the fused score is their weighted sum; the first `sentence_depth` chunks then add
`sentence_weight` times the z-scored similarity of their best single sentence (from the stored
sentence vectors: a question usually asks about one sentence, which the chunk's mean vector blurs
with the others; deeper than 30 changed nothing on SQuAD's tune half). The first
`Rerank.depth` chunks are then re-scored by how well their best single sentence matches the query
in words (idf-weighted share of the query's terms, share of its word pairs): an answer usually
sits in one sentence, and a chunk whose matching words are spread over unrelated sentences is
weaker evidence than one that says it in one. The normalisation, weights and depths were chosen on
the tune half of SQuAD (`qa bench squad --tune`); they are kept, with where each came from, in
`config.tuning`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from cachetools import LRUCache

from config.settings import Settings
from config.tuning import TUNED
from index.encoder_protocol import SentenceEncoder
from index.lexical import LexicalIndex, function_terms
from index.store import ChunkRecord, Store
from index.terms import TermCache
from qa.passages import Ranks

FUSION_METHODS = ("zscore", "minmax", "max", "rrf")
Terms = Sequence[str]
REMEMBERED_CHUNKS = 20_000  # chunk records and vectors kept in memory between questions
REMEMBERED_SENTENCE_CHUNKS = 5_000  # chunks whose sentence vectors are kept unpacked (about 9 KB each)
REMEMBERED_SENTENCE_TERMS = 50_000  # chunks whose sentences' terms are kept


@dataclass(frozen=True)
class Rerank:
    """How the first fused chunks are re-scored by their best sentence (weights in z units)."""

    depth: int = TUNED.rerank_depth
    coverage: float = TUNED.rerank_coverage
    bigrams: float = TUNED.rerank_bigrams


@dataclass(frozen=True)
class Candidate:
    """A retrieved chunk with its fused score, its per-retriever scores and ranks."""

    chunk: ChunkRecord
    score: float
    lexical: float
    dense: float
    ranks: Ranks


def normalise(values: np.ndarray, method: str) -> np.ndarray:
    """Scores of one retriever over the pool put on a common scale.

    zscore: (x - mean) / std; minmax: (x - min) / (max - min); max: x / max. A pool whose scores
    are all equal normalises to zeros (zscore) or ones (the others).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    if method == "zscore":
        spread = values.std()
        return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)
    if method == "minmax":
        low, spread = values.min(), values.max() - values.min()
        return (values - low) / spread if spread > 0 else np.ones_like(values)
    if method == "max":
        high = values.max()
        return values / high if high > 0 else np.ones_like(values)
    raise ValueError(f"unknown normalisation {method!r} (known: zscore, minmax, max)")


def rrf(values: np.ndarray, k: float = 60.0) -> np.ndarray:
    """1 / (k + rank) of each score among `values` (rank 1 = highest; ties share the better rank)."""
    values = np.asarray(values, dtype=np.float64)
    ranks = (values[None, :] > values[:, None]).sum(axis=1) + 1 if values.size <= 2048 else _ranks(values)
    return 1.0 / (k + ranks)


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[order] = np.arange(1, len(values) + 1)
    return ranks


def fuse(lexical: np.ndarray, dense: np.ndarray, dense_weight: float, method: str = "zscore",
         rrf_k: float = 60.0) -> np.ndarray:
    """Fused scores of a pool of chunks from their exact BM25 and dense scores (same order).

    `method` is a normalisation (zscore, minmax, max) applied to each side before the weighted sum
    `dense_weight * dense + (1 - dense_weight) * lexical`, or `rrf` for weighted reciprocal-rank
    fusion with constant `rrf_k`.
    """
    if method == "rrf":
        lex, den = rrf(lexical, rrf_k), rrf(dense, rrf_k)
    else:
        lex, den = normalise(lexical, method), normalise(dense, method)
    return dense_weight * den + (1.0 - dense_weight) * lex


def word_pairs(terms: Terms) -> set[tuple[str, str]]:
    """Adjacent pairs of terms (stop words already out), the cheap stand-in for phrase matches."""
    return set(itertools.pairwise(terms))


def sentence_match(query_terms: Terms, sentences: Sequence[Terms], idf: Callable[[str], float]) -> tuple[float, float]:
    """The best idf-weighted share of the query's terms found in one sentence, and the best share
    of the query's adjacent term pairs found in one sentence."""
    unique = list(dict.fromkeys(query_terms))
    total = sum(idf(t) for t in unique)
    pairs = word_pairs(query_terms)
    best_coverage = best_pairs = 0.0
    for sentence in sentences:
        present = set(sentence)
        if total > 0:
            best_coverage = max(best_coverage, sum(idf(t) for t in unique if t in present) / total)
        if pairs:
            best_pairs = max(best_pairs, len(pairs & word_pairs(sentence)) / len(pairs))
    return best_coverage, best_pairs


def ranked(scores: dict[str, float]) -> list[str]:
    """Keys by descending score, ties by key for a stable order."""
    return sorted(scores, key=lambda key: (-scores[key], key))


class HybridRetriever:
    """Finds the chunks most likely to answer a query, by BM25 and by meaning together."""

    def __init__(self, store: Store, encoder: SentenceEncoder, lexical: LexicalIndex,
                 candidates: int = Settings.candidates, dense_weight: float = Settings.dense_weight,
                 fusion: str = TUNED.fusion, rerank: Rerank = Rerank(), sentence_weight: float = TUNED.sentence_weight,
                 sentence_depth: int = TUNED.sentence_depth, terms: TermCache | None = None) -> None:
        self.store = store
        self.encoder = encoder
        self.lexical = lexical
        self.terms = terms or TermCache()  # the assistant's, shared with its answerer
        self.candidates = candidates
        self.dense_weight = dense_weight
        self.fusion = fusion
        self.rerank = rerank
        self.sentence_weight = sentence_weight
        self.sentence_depth = sentence_depth
        self._position = {key: i for i, key in enumerate(lexical.ids)}
        # least recently used chunks forgotten first; an id names one content of one file, so a
        # remembered record, vector or term list cannot go stale
        self._sentence_terms: LRUCache[str, list[list[str]]] = LRUCache(REMEMBERED_SENTENCE_TERMS)
        self._records: LRUCache[str, ChunkRecord] = LRUCache(REMEMBERED_CHUNKS)
        self._vectors: LRUCache[str, np.ndarray] = LRUCache(REMEMBERED_CHUNKS)
        self._sentence_vectors: LRUCache[str, np.ndarray] = LRUCache(REMEMBERED_SENTENCE_CHUNKS)

    def sentence_terms(self, chunks: Sequence[ChunkRecord]) -> list[list[list[str]]]:
        """The BM25 terms of each sentence of each chunk (kept for the most recent chunks)."""
        todo = [c for c in chunks if c.id not in self._sentence_terms]
        found: dict[str, list[list[str]]] = {}
        if todo:
            texts: list[str] = []
            owners: list[int] = []
            for number, chunk in enumerate(todo):
                for start, end in chunk.sentences():
                    texts.append(chunk.text[start:end])
                    owners.append(number)
            tokens = self.terms.many(texts) if texts else []  # remembered: the answerer reads the same sentences
            grouped: list[list[list[str]]] = [[] for _ in todo]
            for owner, terms in zip(owners, tokens, strict=True):
                grouped[owner].append(list(terms))
            found = {chunk.id: sentences for chunk, sentences in zip(todo, grouped, strict=True)}
            self._sentence_terms.update(found)
        return [found[c.id] if c.id in found else self._sentence_terms[c.id] for c in chunks]

    def lexical_scores(self, query: str) -> np.ndarray:
        """The BM25 score of `query` against every chunk of the lexical index (in its id order), for its
        terms less English function words ("what", "does", "were": bm25s's own list has 33 words, not
        these); a question of function words alone keeps them. SQuAD's held-out half, 1,500 questions:
        BM25 alone R@1 0.790 -> 0.805, R@5 0.939 -> 0.947; fused R@1 0.873 -> 0.871, answer@1 0.860 ->
        0.862 (tune half: 0.831 -> 0.835, 0.834 both ways); the six trial folders, first passage 47 -> 48
        of 60, top 3 53 -> 54; `qa eval` first passage 80.0 -> 78.8 % (one question)."""
        terms = [t for t in self.terms(query) if t not in function_terms()] or self.terms(query)
        if not self.lexical.ids or not terms:
            return np.zeros(len(self.lexical.ids), dtype=np.float32)
        return np.asarray(self.lexical.retriever.get_scores(terms))

    def search(self, query: str, k: int = 10, vector: np.ndarray | None = None,
               mode: str = "hybrid") -> list[Candidate]:
        """The `k` best chunks for `query`, best first. `mode` is hybrid, lexical or dense."""
        if mode not in ("hybrid", "lexical", "dense"):
            raise ValueError(f"unknown search mode {mode!r} (known: hybrid, lexical, dense)")
        ids = self.lexical.ids
        all_lexical = self.lexical_scores(query)
        lexical: dict[str, float] = {}
        if mode != "dense" and len(ids):
            n = min(self.candidates, len(ids))
            top = np.argpartition(-all_lexical, n - 1)[:n]
            lexical = {ids[i]: float(all_lexical[i]) for i in top if all_lexical[i] > 0}
        dense: dict[str, float] = {}
        if mode != "lexical":
            if vector is None:
                vector = self.encoder.encode([query])[0]
            dense = self._nearest(vector, min(self.candidates, len(ids)))
        if mode == "lexical":
            fused = dict(lexical)
        elif mode == "dense":
            fused = dict(dense)
        else:
            assert vector is not None
            fused = self._fused(vector, lexical, dense, all_lexical)
        records: dict[str, ChunkRecord] = {}
        if mode == "hybrid" and self.rerank.depth > 0 and fused:
            head = ranked(fused)[: self.rerank.depth]
            records = self._chunks(head)
            fused.update(self._reranked(query, [records[key] for key in head if key in records], fused))
        order = ranked(fused)[:k]
        den_rank = {key: i for i, key in enumerate(ranked(dense), start=1)}
        wanted = [key for key in order if key not in records]
        if wanted:
            records.update(self._chunks(wanted))
        candidates = []
        for position, key in enumerate(order, start=1):
            if key not in records:
                continue
            bm25 = float(all_lexical[self._position[key]]) if key in self._position else 0.0
            # the global BM25 rank (exact, from the scores of every chunk); None when no term matches
            lex_rank = int((all_lexical > bm25).sum()) + 1 if bm25 > 0 else None
            candidates.append(
                Candidate(
                    chunk=records[key],
                    score=fused[key],
                    lexical=bm25,
                    dense=dense.get(key, 0.0),
                    ranks=Ranks(lexical=lex_rank, dense=den_rank.get(key), fused=position),
                )
            )
        return candidates

    def _fused(self, vector: np.ndarray, lexical: dict[str, float], dense: dict[str, float],
               all_lexical: np.ndarray) -> dict[str, float]:
        """The fused score of each chunk of the pool (the union of both sides' candidates), each side
        with its exact score (looked up for the chunks the other side found; `lexical` and `dense`
        are completed in place), the first `sentence_depth` plus their best sentence's bonus."""
        pool = list(dict.fromkeys([*lexical, *dense]))
        missing = [key for key in pool if key not in dense]
        if missing:
            dense.update(self._similarities(vector, missing))
        for key in pool:
            if key not in lexical and key in self._position:
                lexical[key] = float(all_lexical[self._position[key]])
        scores = fuse(np.array([lexical.get(key, 0.0) for key in pool]),
                      np.array([dense.get(key, 0.0) for key in pool]), self.dense_weight, self.fusion)
        fused = dict(zip(pool, scores.tolist(), strict=True))
        if self.sentence_weight and self.sentence_depth > 0:
            head = ranked(fused)[: self.sentence_depth]
            bonus = normalise(self._best_sentences(vector, head), "zscore")
            fused.update({key: fused[key] + self.sentence_weight * b for key, b in zip(head, bonus, strict=True)})
        return fused

    def _reranked(self, query: str, chunks: list[ChunkRecord], fused: dict[str, float]) -> dict[str, float]:
        """Fused scores of `chunks` plus the weighted match of their best sentence.

        The bonus is never negative, so the re-scored head stays above every chunk after it."""
        query_terms = self.terms(query)
        rescored = {}
        for chunk, sentences in zip(chunks, self.sentence_terms(chunks), strict=True):
            coverage, pairs = sentence_match(query_terms, sentences, self.lexical.idf)
            rescored[chunk.id] = fused[chunk.id] + self.rerank.coverage * coverage + self.rerank.bigrams * pairs
        return rescored

    def _best_sentences(self, vector: np.ndarray, ids: list[str]) -> np.ndarray:
        """Each chunk's best single-sentence cosine similarity to `vector` (0 when it has none).
        The sentence vectors are read from the chunk records once and then remembered."""
        wanted = [key for key in ids if key not in self._sentence_vectors]
        unpacked = {
            key: np.frombuffer(record.sentence_vectors, dtype=np.float16).reshape(-1, len(vector)).astype(np.float32)
            for key, record in (self._chunks(wanted) if wanted else {}).items()
        }
        self._sentence_vectors.update(unpacked)
        matrices = [unpacked[key] if key in unpacked else self._sentence_vectors.get(key) for key in ids]
        sizes = [0 if m is None else len(m) for m in matrices]
        best = np.zeros(len(ids))
        if sum(sizes):
            similarity = np.concatenate([m for m in matrices if m is not None and len(m)]) @ vector
            starts = np.cumsum([0, *[n for n in sizes if n]])[:-1]
            best[[i for i, n in enumerate(sizes) if n]] = np.maximum.reduceat(similarity, starts)
        return best

    def _nearest(self, vector: np.ndarray, k: int) -> dict[str, float]:
        """The `k` chunks closest to `vector` in Chroma: id -> cosine similarity. (The lexical index
        has the same chunks, so its size stands in for a count of the collection.)"""
        if k <= 0:
            return {}
        got = self.store.chunks.query(query_embeddings=[vector], n_results=k, include=["distances"])
        return {key: 1.0 - float(d) for key, d in zip(got["ids"][0], got["distances"][0], strict=True)}

    def _chunks(self, ids: list[str]) -> dict[str, ChunkRecord]:
        """Chunk records by id, read from the store once and then remembered (an id names one
        content of one file, so a remembered record cannot go stale)."""
        wanted = [key for key in ids if key not in self._records]
        fetched = self.store.get_chunks(wanted) if wanted else {}
        self._records.update(fetched)
        return {key: fetched[key] if key in fetched else self._records[key]
                for key in ids if key in fetched or key in self._records}

    def _similarities(self, vector: np.ndarray, ids: list[str]) -> dict[str, float]:
        """Cosine similarity of `vector` to stored chunk vectors (remembered like records)."""
        wanted = [key for key in ids if key not in self._vectors]
        fetched: dict[str, np.ndarray] = {}
        if wanted:
            got = self.store.present(wanted, ["embeddings"])
            fetched = {key: np.asarray(row, dtype=np.float32) for key, row in zip(got["ids"], got["embeddings"],
                                                                                  strict=True)}
            self._vectors.update(fetched)
        rows = {key: fetched[key] if key in fetched else self._vectors[key]
                for key in ids if key in fetched or key in self._vectors}
        if not rows:
            return {}
        matrix = np.stack(list(rows.values()))
        return dict(zip(rows, (matrix @ vector).tolist(), strict=True))
