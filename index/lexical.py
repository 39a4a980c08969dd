"""The lexical side of the index: BM25 (bm25s, Lucene scoring, English stop words, Snowball stemmer).

The BM25 index is derived from the chunk texts stored in Chroma and saved beside it (inside a
local index folder; under the user's cache folder for a Chroma server). It carries the Chroma
index's generation token, so a stale copy is rebuilt instead of used.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from functools import cache, cached_property
from pathlib import Path

import numpy as np

from index.settings import Settings, user_dir

STOPWORDS = "en"


@cache
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed terms of each text, as bm25s makes them."""
    import bm25s

    return bm25s.tokenize(texts, stopwords=STOPWORDS, stemmer=_stemmer(), return_ids=False, show_progress=False)


def bm25_dir(settings: Settings) -> Path:
    """Where the BM25 index of `settings.index` lives."""
    if settings.is_remote:
        return user_dir("cache") / ("bm25-" + hashlib.sha256(settings.index.encode()).hexdigest()[:16])
    return Path(settings.index) / "bm25"


class LexicalIndex:
    """BM25 over chunk ids."""

    def __init__(self, ids: list[str], retriever: object, generation: str) -> None:
        self.ids = ids
        self.retriever = retriever
        self.generation = generation

    @classmethod
    def build(cls, ids: list[str], texts: list[str], generation: str) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
        if ids:
            retriever.index(tokenize(texts), show_progress=False)
        return cls(ids, retriever, generation)

    def save(self, folder: Path) -> None:
        """Write the index atomically: a new folder, then a rename."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = folder.with_name(folder.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        if self.ids:
            self.retriever.save(str(staging), show_progress=False)
        (staging / "ids.json").write_text(json.dumps({"generation": self.generation, "ids": self.ids}))
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        """The saved index, or None when there is none or it cannot be read."""
        import bm25s

        try:
            meta = json.loads((folder / "ids.json").read_text())
            retriever = bm25s.BM25.load(str(folder), show_progress=False, mmap=False) if meta["ids"] else bm25s.BM25()
        except (OSError, ValueError, KeyError):
            return None
        return cls(meta["ids"], retriever, meta["generation"])

    @cached_property
    def document_frequencies(self) -> np.ndarray:
        """How many chunks hold each term, by the term's column."""
        return np.diff(self.retriever.scores["indptr"] if self.ids else np.zeros(1))

    def idf(self, term: str) -> float:
        """Lucene's inverse document frequency of a (stemmed) term over the chunks; unseen terms
        count as the rarest."""
        n = len(self.ids)
        column = self.retriever.vocab_dict.get(term) if self.ids else None
        df = int(self.document_frequencies[column]) if column is not None else 0
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """The `k` best chunks for `query`: (id, BM25 score), best first; only positive scores."""
        if not self.ids:
            return []
        terms = tokenize([query])[0]
        if not terms:
            return []
        scores = self.retriever.get_scores(terms)
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
