"""The lexical side of the index: BM25 (Lucene scoring, k1 1.5, b 0.75, as bm25s computes it;
English stop words, Snowball stemmer, bm25s's tokenizer), kept in segments that update in place.

Each ingest adds one segment holding only its new chunks' term counts, and marks the chunks it
replaced or removed as deleted; nothing already indexed is tokenized again. Scores are computed
at question time from the term counts, the live chunks' lengths and document frequencies, so they
equal those of one index built from scratch. Small segments are merged into bigger ones as they
come (segment sizes at least double down the list, so each chunk is merged O(log n) times and
never re-tokenized), and a segment with most of its
chunks deleted is compacted.

The index is derived from the chunks stored in Chroma, each counted with its title (the document's
and section's, as the encoder reads them: `index.lexical_sync.lexical_text`) and saved beside it (inside a local
index folder; under the user's cache folder for a Chroma server). It carries the Chroma index's
generation token; a copy whose token differs is brought in line by chunk ids (only the
difference is tokenized), and one that cannot be read is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_left
from functools import cache, cached_property
from pathlib import Path

import numpy as np

from config.settings import Settings, user_dir

K1, B = 1.5, 0.75
FORMAT = 4  # 4: a dotted number is one term ("3.8.12"); 3: chunks counted with their titles (2: the text alone)
MANIFEST = "lexical.json"
SEGMENT_NAME = re.compile(r"seg-\d+")
MERGE_RATIO = 1  # a segment is merged into the one before it once it is as big: sizes double, log n merges


# bm25s's (and scikit-learn's) word pattern, and a one-letter command-line option ("grep -v"), which
# that pattern, keeping words of two letters or more, would drop, and a dotted number as one term (a
# version, "3.8.12", is not the words "12" of "3.12": a number matches only itself)
TOKEN = re.compile(r"(?u)(?<![\w-])-[^\W\d_](?![\w-])|(?<![\w.])\d+(?:\.\d+)+(?![\w]|\.\d)|\b\w\w+\b")
_STEMS: dict[str, str] = {}


@cache
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@cache
def english_stopwords(plus: bool = False) -> frozenset[str]:
    """bm25s's English stop words ("en", or "en_plus" with `plus`), read from its stopwords module
    file: importing bm25s itself would import scipy, a third of a second on the question path."""
    import importlib.util

    found = importlib.util.find_spec("bm25s")
    if found is None or not found.submodule_search_locations:
        raise ImportError("bm25s is not installed (pip install bm25s==0.3.16)")
    spec = importlib.util.spec_from_file_location(
        "_bm25s_stopwords", Path(next(iter(found.submodule_search_locations))) / "stopwords.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return frozenset(module.STOPWORDS_EN_PLUS if plus else module.STOPWORDS_EN)


# English verbs whose past forms the stemmer cannot take back to their base ("led" is not "lead"),
# so that "who leads ...?" finds "X led ..." and "where was it held?" finds "... to hold": a general
# list of the language, not of any corpus. Forms that are also common other words ("left", "saw",
# "felt", "rose", "lay", "found", "ground") are left out.
IRREGULAR_VERBS = """
lead:led hold:held meet:met say:said make:made take:took,taken give:gave,given begin:began,begun go:went,gone
come:came send:sent win:won write:wrote,written tell:told pay:paid bring:brought think:thought buy:bought
build:built keep:kept run:ran choose:chose,chosen grow:grew,grown know:knew,known draw:drew,drawn
become:became sell:sold stand:stood understand:understood spend:spent strike:struck fight:fought teach:taught
catch:caught seek:sought lose:lost hear:heard feed:fed deal:dealt break:broke,broken drive:drove,driven
eat:ate,eaten forget:forgot,forgotten freeze:froze,frozen hide:hid,hidden ride:rode,ridden shake:shook,shaken
steal:stole,stolen throw:threw,thrown wear:wore,worn speak:spoke,spoken sing:sang,sung drink:drank,drunk
fly:flew,flown sink:sank,sunk show:shown flee:fled sleep:slept sweep:swept weep:wept lend:lent bend:bent
dig:dug shoot:shot withdraw:withdrew,withdrawn undertake:undertook,undertaken overcome:overcame
forgive:forgave,forgiven arise:arose,arisen blow:blew,blown bite:bitten see:seen rise:risen fall:fallen
"""
BASE_FORM = {form: base for entry in IRREGULAR_VERBS.split() for base, forms in [entry.split(":")]
             for form in forms.split(",")}


@cache
def function_terms() -> frozenset[str]:
    """Stemmed English function words (who, did, were, ...), which say nothing of a topic."""
    return frozenset(t for word_terms in tokenize(sorted(english_stopwords(plus=True))) for t in word_terms)


def version_prefixes(number: str) -> list[str]:
    """The versions a dotted number is a release of, itself first: "7.88.1" -> 7.88.1, 7.88 (never a bare
    integer: "2.100" is not version 2)."""
    parts = number.split(".")
    return [".".join(parts[:end]) for end in range(len(parts), 1, -1)] or [number]


def _forms(token: str) -> list[str]:
    """A token as terms: an option keeps its case (-v is not -V); a dotted number is also each version it is a
    release of ("7.88.1": 7.88.1 and 7.88); a word is lower-cased."""
    if token[0] == "-":
        return [token]
    if token[0].isdigit() and "." in token:
        return version_prefixes(token)
    return [token.lower()]


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed terms of each text, exactly as
    `bm25s.tokenize(texts, stopwords="en", stemmer=english_stemmer, return_ids=False)` makes them,
    with one-letter options ("-v", "-V": case kept) where they stand and a dotted number ("3.8.12") as one
    term."""
    stop = english_stopwords()
    words = [[w for t in TOKEN.findall(text) for w in _forms(t) if w not in stop]
             for text in texts]
    new = list({w for chunk in words for w in chunk if w not in _STEMS})
    if new:
        if len(_STEMS) > 2_000_000:
            _STEMS.clear()
            new = list({w for chunk in words for w in chunk})
        _STEMS.update(zip(new, _stemmer().stemWords([BASE_FORM.get(w, w) for w in new]), strict=True))
    return [[_STEMS[w] for w in chunk] for chunk in words]


def bm25_dir(settings: Settings) -> Path:
    """Where the BM25 index of `settings.index` lives."""
    if settings.is_remote:
        return user_dir("cache") / ("bm25-" + hashlib.sha256(settings.index.encode()).hexdigest()[:16])
    return Path(settings.index) / "bm25"


class Segment:
    """Term counts of some chunks, by term: `docs[indptr[t]:indptr[t+1]]` hold term `vocab[t]`
    `counts[...]` times. `dead` marks chunks deleted since."""

    def __init__(self, ids: list[str], lengths: np.ndarray, vocab: list[str], indptr: np.ndarray,
                 docs: np.ndarray, counts: np.ndarray, dead: np.ndarray | None = None, name: str = "") -> None:
        self.ids, self.lengths, self.vocab = ids, lengths, vocab
        self.indptr, self.docs, self.counts = indptr, docs, counts
        self.dead = dead if dead is not None else np.zeros(len(ids), dtype=bool)
        self.name = name  # the file name it is saved under ("" until saved)

    @classmethod
    def from_terms(cls, ids: list[str], term_lists: list[list[str]]) -> Segment:
        """A segment of chunks `ids` whose terms are `term_lists`."""
        lengths = np.array([len(t) for t in term_lists], dtype=np.int32)
        vocab = sorted({term for chunk in term_lists for term in chunk})
        column = {term: i for i, term in enumerate(vocab)}
        flat = np.fromiter((column[term] for chunk in term_lists for term in chunk), dtype=np.int64,
                           count=int(lengths.sum()))
        doc_of = np.repeat(np.arange(len(ids), dtype=np.int64), lengths)
        return cls._from_postings(ids, lengths, vocab, flat, doc_of, np.ones(len(flat), dtype=np.float32))

    @classmethod
    def _from_postings(cls, ids: list[str], lengths: np.ndarray, vocab: list[str], term_of: np.ndarray,
                       doc_of: np.ndarray, weight: np.ndarray) -> Segment:
        """Postings (term, doc, count) summed per (term, doc) pair and laid out by term."""
        pairs, inverse = np.unique(term_of * max(len(ids), 1) + doc_of, return_inverse=True)
        counts = np.bincount(inverse.reshape(-1), weights=weight, minlength=len(pairs)).astype(np.float32)
        term_ids, docs = pairs // max(len(ids), 1), pairs % max(len(ids), 1)
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term_ids, minlength=len(vocab)), out=indptr[1:])
        return cls(ids, lengths, vocab, indptr, docs.astype(np.int32), counts)

    @classmethod
    def merged(cls, segments: list[Segment]) -> Segment:
        """One segment of the live chunks of `segments`, in their order (no text tokenized again)."""
        vocab = sorted(set().union(*(s.vocab for s in segments)))
        column = {term: i for i, term in enumerate(vocab)}
        ids: list[str] = []
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        lengths = []
        for segment in segments:
            keep = ~segment.dead
            renumber = np.cumsum(keep) - 1 + len(ids)
            columns = np.array([column[t] for t in segment.vocab], dtype=np.int64)
            term_of = np.repeat(columns, np.diff(segment.indptr))
            alive = keep[segment.docs]
            parts.append((term_of[alive], renumber[segment.docs[alive]], segment.counts[alive]))
            ids.extend(i for i, k in zip(segment.ids, keep, strict=True) if k)
            lengths.append(segment.lengths[keep])
        term_of, doc_of, weight = (np.concatenate([p[k] for p in parts]) for k in range(3))
        used = np.unique(term_of)
        if len(used) < len(vocab):  # terms only deleted chunks held
            vocab = [vocab[i] for i in used]
            term_of = np.searchsorted(used, term_of)
        return cls._from_postings(ids, np.concatenate(lengths), vocab, term_of, doc_of, weight)

    @property
    def live(self) -> int:
        return int(len(self.ids) - self.dead.sum())

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The chunks (positions in this segment) holding `term`, and how often."""
        column = bisect_left(self.vocab, term)
        if column == len(self.vocab) or self.vocab[column] != term:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        first, last = self.indptr[column], self.indptr[column + 1]
        return self.docs[first:last], self.counts[first:last]

    def save(self, folder: Path, name: str) -> None:
        """Write the segment's files (`name`.json, `name`.npz) under temporary names, then rename."""
        text, arrays = folder / f"{name}.json", folder / f"{name}.npz"
        (folder / f"{name}.json.part").write_text(json.dumps({"ids": self.ids, "vocab": self.vocab}))
        with open(folder / f"{name}.npz.part", "wb") as out:
            np.savez(out, lengths=self.lengths, indptr=self.indptr, docs=self.docs, counts=self.counts)
        (folder / f"{name}.json.part").rename(text)
        (folder / f"{name}.npz.part").rename(arrays)
        self.name = name

    @classmethod
    def load(cls, folder: Path, name: str, dead: list[int]) -> Segment:
        words = json.loads((folder / f"{name}.json").read_text())
        with np.load(folder / f"{name}.npz") as arrays:
            parts = {key: arrays[key] for key in ("lengths", "indptr", "docs", "counts")}
        mask = np.zeros(len(words["ids"]), dtype=bool)
        mask[np.asarray(dead, dtype=np.int64)] = True
        return cls(words["ids"], parts["lengths"], words["vocab"], parts["indptr"], parts["docs"], parts["counts"],
                   mask, name)


class LexicalIndex:
    """BM25 over chunk ids, in segments; `ids` are the live chunks, in the order scores are given."""

    def __init__(self, segments: list[Segment], generation: str) -> None:
        self.segments = segments
        self.generation = generation
        self.texts_tokenized = 0  # texts this object tokenized (what an update cost)

    # ---- building and updating ------------------------------------------------------------------
    @classmethod
    def build(cls, ids: list[str], texts: list[str], generation: str) -> LexicalIndex:
        index = cls([], generation)
        index.add(ids, texts)
        return index

    def add(self, ids: list[str], texts: list[str]) -> None:
        """Index new chunks (their ids not in the index) as one new segment, merging small ones."""
        if not ids:
            return
        self.texts_tokenized += len(texts)
        self.segments.append(Segment.from_terms(list(ids), tokenize(list(texts))))
        while len(self.segments) > 1 and self.segments[-1].live * MERGE_RATIO >= self.segments[-2].live:
            self.segments[-2:] = [Segment.merged(self.segments[-2:])]
        self._changed()

    def remove(self, ids: list[str]) -> None:
        """Mark chunks deleted; a segment left mostly deleted is compacted."""
        if not ids:
            return
        where = self._where
        for chunk in ids:
            found = where.get(chunk)
            if found is not None:
                self.segments[found[0]].dead[found[1]] = True
        self.segments = [Segment.merged([s]) if s.dead.sum() * 2 > len(s.ids) else s
                         for s in self.segments if s.live]
        self._changed()

    def _changed(self) -> None:
        for name in ("ids", "_where", "_stats"):
            self.__dict__.pop(name, None)

    @cached_property
    def _where(self) -> dict[str, tuple[int, int]]:
        return {chunk: (s, i) for s, segment in enumerate(self.segments) for i, chunk in enumerate(segment.ids)}

    # ---- saving and loading ---------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write new segments, then the manifest naming the live set (a rename), then delete files
        no longer named. A crash at any point leaves the previous manifest valid."""
        folder.mkdir(parents=True, exist_ok=True)
        # A new segment never takes a name the folder holds: the manifest being replaced (or read by an
        # ask at this moment) may name it, and would then pair its dead list with another segment's files.
        taken = {s.name for s in self.segments if s.name} | {p.name.split(".")[0] for p in folder.glob("seg-*")}
        number = 1 + max((int(n[4:]) for n in taken if SEGMENT_NAME.fullmatch(n)), default=0)
        for segment in self.segments:
            if not segment.name:
                segment.save(folder, f"seg-{number:06d}")
                number += 1
        manifest = {"format": FORMAT, "generation": self.generation, "k1": K1, "b": B,
                    "segments": [{"name": s.name, "dead": np.flatnonzero(s.dead).tolist()} for s in self.segments]}
        staging = folder / (MANIFEST + ".part")
        staging.write_text(json.dumps(manifest))
        staging.rename(folder / MANIFEST)
        keep = {MANIFEST} | {f"{s.name}.{ext}" for s in self.segments for ext in ("json", "npz")}
        for path in folder.iterdir():
            if path.name not in keep and path.is_file():
                path.unlink(missing_ok=True)

    @staticmethod
    def saved_generation(folder: Path) -> str | None:
        """The generation the saved index was made for (its manifest only), or None."""
        try:
            manifest = json.loads((folder / MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        return str(manifest.get("generation")) if manifest.get("format") == FORMAT else None

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        """The saved index, or None when there is none or it cannot be read."""
        try:
            manifest = json.loads((folder / MANIFEST).read_text())
            if manifest.get("format") != FORMAT:
                return None
            segments = [Segment.load(folder, s["name"], s["dead"]) for s in manifest["segments"]]
        except (OSError, ValueError, KeyError, IndexError):
            return None
        return cls(segments, str(manifest["generation"]))

    # ---- scoring --------------------------------------------------------------------------------
    @cached_property
    def ids(self) -> list[str]:
        return [i for s in self.segments for i, dead in zip(s.ids, s.dead, strict=True) if not dead]

    @cached_property
    def _stats(self) -> tuple[int, list[np.ndarray]]:
        """Live chunks, and each segment's length norm `k1 * (1 - b + b * length / average)`."""
        count = sum(s.live for s in self.segments)
        total = sum(int(s.lengths[~s.dead].sum()) for s in self.segments)
        average = total / count if count else 1.0
        return count, [K1 * (1 - B + B * s.lengths.astype(np.float64) / average) for s in self.segments]

    def __contains__(self, term: object) -> bool:
        """Whether any live chunk holds the (stemmed) term."""
        return isinstance(term, str) and self._document_frequency(term) > 0

    def _document_frequency(self, term: str) -> int:
        return sum(int((~s.dead[s.postings(term)[0]]).sum()) for s in self.segments)

    def idf(self, term: str) -> float:
        """Lucene's inverse document frequency of a (stemmed) term over the chunks; unseen terms
        count as the rarest."""
        n = self._stats[0]
        df = self._document_frequency(term)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def get_scores(self, query_terms: list[str]) -> np.ndarray:
        """BM25 of every live chunk (in `ids` order) for the query's terms; a term given twice
        counts twice, as in bm25s."""
        scores = [np.zeros(len(s.ids), dtype=np.float64) for s in self.segments]
        norms = self._stats[1]
        for term in query_terms:
            if not self._document_frequency(term):
                continue
            weight = self.idf(term)
            for segment, into, norm in zip(self.segments, scores, norms, strict=True):
                docs, counts = segment.postings(term)
                into[docs] += weight * counts / (norm[docs] + counts)
        if not scores:
            return np.zeros(0, dtype=np.float32)
        live = np.concatenate([~s.dead for s in self.segments])
        return np.concatenate(scores)[live].astype(np.float32)

    @property
    def retriever(self) -> LexicalIndex:
        """The object that gives `get_scores` (this index itself; bm25s's BM25 object had it)."""
        return self

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """The `k` best chunks for `query`: (id, BM25 score), best first; only positive scores."""
        if not self.ids:
            return []
        query_terms = tokenize([query])[0]
        if not query_terms:
            return []
        scores = self.get_scores(query_terms)
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
