"""Hybrid retrieval: BM25 and dense (Chroma) candidates, fused into one ranking."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.embedding import Encoder
from index.lexical import LexicalIndex
from index.store import ChunkRecord, Store
from qa.passages import Ranks


@dataclass(frozen=True)
class Candidate:
    """A retrieved chunk with its fused score, its per-retriever scores and ranks."""

    chunk: ChunkRecord
    score: float
    lexical: float
    dense: float
    ranks: Ranks


def _minmax(values: dict[str, float]) -> dict[str, float]:
    if not values:
        return {}
    low, high = min(values.values()), max(values.values())
    spread = high - low
    return {k: (v - low) / spread if spread > 0 else 1.0 for k, v in values.items()}


def fuse_scores(lexical: dict[str, float], dense: dict[str, float], dense_weight: float) -> dict[str, float]:
    """Weighted sum of min-max normalised scores; a chunk missing from one side scores 0 there."""
    lex, den = _minmax(lexical), _minmax(dense)
    return {
        key: dense_weight * den.get(key, 0.0) + (1.0 - dense_weight) * lex.get(key, 0.0)
        for key in set(lex) | set(den)
    }


def fuse_rrf(rankings: list[list[str]], k: int = 60, weights: list[float] | None = None) -> dict[str, float]:
    """Reciprocal rank fusion: sum of weight / (k + rank) over the rankings."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + weight / (k + rank)
    return fused


def ranked(scores: dict[str, float]) -> list[str]:
    """Keys by descending score, ties by key for a stable order."""
    return sorted(scores, key=lambda key: (-scores[key], key))


class HybridRetriever:
    """Finds the chunks most likely to answer a query, by BM25 and by meaning together."""

    def __init__(self, store: Store, encoder: Encoder, lexical: LexicalIndex, candidates: int = 50,
                 dense_weight: float = 0.45) -> None:
        self.store = store
        self.encoder = encoder
        self.lexical = lexical
        self.candidates = candidates
        self.dense_weight = dense_weight

    def search(self, query: str, k: int = 10, vector: np.ndarray | None = None,
               mode: str = "hybrid") -> list[Candidate]:
        """The `k` best chunks for `query`, best first. `mode` is hybrid, lexical or dense."""
        lexical = dict(self.lexical.search(query, self.candidates)) if mode != "dense" else {}
        dense: dict[str, float] = {}
        if mode != "lexical":
            if vector is None:
                vector = self.encoder.encode([query])[0]
            dense = dict(self.store.nearest(vector, self.candidates))
            missing = [key for key in lexical if key not in dense]
            if missing:
                dense.update(self._similarities(vector, missing))
        if mode == "lexical":
            fused = dict(lexical)
        elif mode == "dense":
            fused = dict(dense)
        else:
            # BM25 scores of dense-only candidates are known to be below the BM25 cut-off:
            # they count as 0 after normalisation, which is their lower bound.
            fused = fuse_scores(lexical, dense, self.dense_weight)
        order = ranked(fused)[:k]
        lex_rank = {key: i for i, key in enumerate(ranked(lexical), start=1)}
        den_rank = {key: i for i, key in enumerate(ranked(dense), start=1)}
        records = self.store.get_chunks(order) if order else {}
        return [
            Candidate(
                chunk=records[key],
                score=fused[key],
                lexical=lexical.get(key, 0.0),
                dense=dense.get(key, 0.0),
                ranks=Ranks(lexical=lex_rank.get(key), dense=den_rank.get(key), fused=position),
            )
            for position, key in enumerate(order, start=1)
            if key in records
        ]

    def _similarities(self, vector: np.ndarray, ids: list[str]) -> dict[str, float]:
        got = self.store.chunks.get(ids=ids, include=["embeddings"])
        matrix = np.asarray(got["embeddings"], dtype=np.float32)
        return dict(zip(got["ids"], (matrix @ vector).tolist(), strict=True))
