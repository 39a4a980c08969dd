"""Retrieval: fusion against a slow reference, and exact orders with a deterministic fake embedder."""
from __future__ import annotations

import math
import zlib
from pathlib import Path

import numpy as np
import pytest

from config.settings import Settings
from index.documents.sentences import split_sentences
from index.encoder_protocol import SentenceEncoder
from index.ingest import embedding_text, ingest
from index.terms import TermCache
from qa.engine import Assistant
from qa.retrieve import FUSION_METHODS, Rerank, fuse, sentence_match

terms = TermCache()  # the BM25 terms, as an assistant reads them



# ---- fusion against a brute-force reference ------------------------------------------------------
def _reference(lexical: list[float], dense: list[float], weight: float, method: str, k: float = 60.0) -> list[float]:
    """Fusion written out the slow, obvious way."""

    def scale(values: list[float]) -> list[float]:
        n = len(values)
        if method == "zscore":
            mean = sum(values) / n
            std = math.sqrt(sum((v - mean) ** 2 for v in values) / n)
            return [(v - mean) / std if std > 0 else 0.0 for v in values]
        if method == "minmax":
            low, high = min(values), max(values)
            return [(v - low) / (high - low) if high > low else 1.0 for v in values]
        if method == "max":
            high = max(values)
            return [v / high if high > 0 else 1.0 for v in values]
        # rrf: rank 1 = highest, ties share the better rank
        return [1.0 / (k + 1 + sum(1 for w in values if w > v)) for v in values]

    lex, den = scale(lexical), scale(dense)
    return [weight * d + (1 - weight) * x for x, d in zip(lex, den, strict=True)]


@pytest.mark.parametrize("method", FUSION_METHODS)
def test_fusion_equals_slow_reference(method: str) -> None:
    rng = np.random.default_rng(7)
    for trial in range(50):
        n = int(rng.integers(1, 40))
        lexical = np.round(rng.exponential(3.0, n), 2) * (rng.random(n) > 0.2)
        dense = np.round(rng.uniform(-0.2, 0.9, n), 3)
        weight = float(rng.uniform(0, 1))
        got = fuse(lexical, dense, weight, method, rrf_k=10.0)
        want = _reference(lexical.tolist(), dense.tolist(), weight, method, k=10.0)
        assert np.allclose(got, want), (method, trial)


def test_zscore_fusion_lets_a_strong_dense_match_overtake_a_weak_lexical_lead() -> None:
    # chunk 0 leads BM25 narrowly, chunk 1 leads dense by far: z-scoring weighs the margins
    lexical = np.array([10.0, 9.5, 2.0, 1.0])
    dense = np.array([0.30, 0.80, 0.25, 0.20])
    assert list(np.argsort(-fuse(lexical, dense, 0.5))) == [1, 0, 2, 3]
    assert list(np.argsort(-fuse(lexical, dense, 0.0))) == [0, 1, 2, 3]


def test_sentence_match_counts_one_sentence_not_the_whole_chunk() -> None:
    idf = {"river": 2.0, "flood": 3.0, "1998": 4.0}.get
    query = ["river", "flood", "1998"]
    together = [["river", "flood", "1998", "valley"], ["farmer"]]
    spread = [["river", "valley"], ["flood"], ["1998"]]
    assert sentence_match(query, together, lambda t: idf(t, 1.0)) == (1.0, 1.0)
    coverage, pairs = sentence_match(query, spread, lambda t: idf(t, 1.0))
    assert coverage == pytest.approx(4.0 / 9.0) and pairs == 0.0


# ---- the retriever with a deterministic fake embedder -------------------------------------------
class WordHashEncoder(SentenceEncoder):
    """A stand-in for the sentence encoder: a bag of hashed words, so texts that share words are
    close. It implements `SentenceEncoder`, as `index.embedding.Encoder` does."""

    def __init__(self) -> None:
        self.model_name = "word-hash"
        self.backend = "word-hash"
        self.texts_encoded = 0

    @property
    def dimension(self) -> int:
        return 64

    @property
    def max_tokens(self) -> int:
        return 256

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in terms(text):
                out[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out

    def encode_with_parts(self, texts: list[str], parts: list[list[tuple[int, int]]],
                          batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray]]:
        return self.encode(texts), [self.encode([text[a:b] for a, b in ranges]) for text, ranges in
                                    zip(texts, parts, strict=True)]


FILES = {
    "flood.txt": "After weeks of heavy rain over the hills and farms, the river flooded the whole valley in 1998.\n",
    "wheat.txt": "Farmers in the valley planted wheat in spring and harvested the grain late in autumn.\n",
    "bridge.txt": "A new bridge over the river opened to traffic in 2004 and cut the journey to town.\n",
    "spread.txt": "The river is long, a slow river.\nA flood came, a great flood.\nIn 1998 people left.\n",
}


@pytest.fixture
def fake_assistant(tmp_path: Path) -> Assistant:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in FILES.items():  # one neutral title, so titles add no query words to any chunk
        (folder / name).write_text("# Notes\n\n" + text, encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"), model="word-hash")
    encoder = WordHashEncoder()
    ingest([folder], settings, encoder)
    return Assistant.open(settings, encoder=encoder)


def _names(candidates) -> list[str]:  # type: ignore[no-untyped-def]
    return [Path(c.chunk.source).name for c in candidates]


def test_hybrid_order_equals_fusion_of_exact_scores(fake_assistant: Assistant) -> None:
    retriever = fake_assistant.retriever
    retriever.rerank = Rerank(depth=0)
    query = "when did the river flood the valley"
    got = retriever.search(query, k=4)
    ids = retriever.lexical.ids
    lexical = retriever.lexical_scores(query)
    vector = fake_assistant.encoder.encode([query])[0]
    chunks = fake_assistant.store.get_chunks(ids)
    dense = fake_assistant.encoder.encode([embedding_text(chunks[i]) for i in ids]) @ vector
    pool = [i for i in range(len(ids))]  # four chunks: the whole corpus is the pool
    reference = _reference(lexical[pool].tolist(), dense[pool].tolist(), retriever.dense_weight, "zscore")
    # plus the z-scored similarity of each chunk's best sentence, each sentence encoded on its own
    best = [max(fake_assistant.encoder.encode([chunks[ids[i]].text[s.start : s.end]])[0] @ vector
                for s in split_sentences(chunks[ids[i]].text, 0, len(chunks[ids[i]].text))) for i in pool]
    mean, spread = float(np.mean(best)), float(np.std(best))
    reference = [r + retriever.sentence_weight * (b - mean) / spread for r, b in zip(reference, best, strict=True)]
    want = [Path(chunks[ids[i]].source).name for i in sorted(pool, key=lambda i: -reference[i])]
    assert retriever.sentence_weight > 0
    assert _names(got) == want
    assert _names(got)[0] == "flood.txt"


def test_rerank_prefers_the_chunk_that_says_it_in_one_sentence(fake_assistant: Assistant) -> None:
    query = "river flood 1998"
    plain = fake_assistant.retriever
    plain.rerank = Rerank(depth=0)
    plain.sentence_weight = 0.0  # the word-level re-scoring alone
    before = _names(plain.search(query, k=4))
    plain.rerank = Rerank()
    after = _names(plain.search(query, k=4))
    assert before.index("spread.txt") < before.index("flood.txt")  # BM25 + bag of words favour it
    assert after[0] == "flood.txt"


def test_modes_rank_by_their_own_scores(fake_assistant: Assistant) -> None:
    lexical = fake_assistant.retriever.search("wheat harvest", k=4, mode="lexical")
    assert _names(lexical) == ["wheat.txt"]  # only chunks that share a term
    assert lexical[0].ranks.lexical == 1
    dense = fake_assistant.retriever.search("bridge traffic town", k=4, mode="dense")
    assert _names(dense)[0] == "bridge.txt"
    assert [c.dense for c in dense] == sorted((c.dense for c in dense), reverse=True)
