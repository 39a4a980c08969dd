"""The reading stage: a small model that reads the question and each candidate passage together.

It gives, per passage, a relevance probability (for re-ranking), an answerable probability (for
abstaining) and the answer span as character offsets into the passage. The model is the int8 ONNX
file in models/reader/ (trained by `python -m evals.train_reader`), run with onnxruntime; torch is
never imported here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from index.chunking import Span
from qa.passages import Passage
from qa.tuning import TUNED

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "reader"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
MAX_ANSWER_PIECES = 30  # the longest answer span, in word pieces
# How many passages are read, which score ranks them and how much the order before reading counts:
# chosen on the tune half of SQuAD (qa.tuning, evals/reader_bench.py --choose-on).
READ_DEPTH = TUNED.reader_depth
READ_SCORE = TUNED.reader_score
READ_PRIOR = TUNED.reader_prior


class ReaderMissing(Exception):
    """The reader's files are not where they were looked for; str() is the one line to show."""


@dataclass(frozen=True)
class Reading:
    """What the reader made of one passage.

    `relevance`: probability that the passage answers the question (re-ranks passages);
    `answerable`: probability that it holds an answer span, from the best span against "no answer";
    `start`, `end`: the answer as character offsets into the passage (a verbatim slice), or None.
    """

    relevance: float
    answerable: float
    start: int | None
    end: int | None

    def answer_text(self, passage: str) -> str | None:
        """The marked words of `passage`, or None."""
        return None if self.start is None or self.end is None else passage[self.start : self.end]


def _sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def best_span(start: np.ndarray, end: np.ndarray, allowed: np.ndarray, longest: int = MAX_ANSWER_PIECES
              ) -> tuple[int, int, float]:
    """The (first, last) word pieces with the highest start + end logit, first <= last < first + longest."""
    s = np.where(allowed, start, -np.inf)
    e = np.where(allowed, end, -np.inf)
    scores = s[:, None] + e[None, :]
    n = len(s)
    band = np.triu(np.ones((n, n), dtype=bool)) & ~np.triu(np.ones((n, n), dtype=bool), k=longest)
    scores = np.where(band, scores, -np.inf)
    flat = int(np.argmax(scores))
    first, last = divmod(flat, n)
    return first, last, float(scores[first, last])


class Reader:
    """The reading model and its tokenizer; `read` scores passages for one question."""

    def __init__(self, session, tokenizer, name: str, max_length: int) -> None:  # type: ignore[no-untyped-def]
        self.session = session
        self.tokenizer = tokenizer
        self.name = name
        self.max_length = max_length

    @classmethod
    def load(cls, path: Path | str = MODEL_DIR, threads: int = 2) -> Reader:
        """The reader in `path` (reader.onnx, tokenizer.json, reader.json), or ReaderMissing."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = Path(path)
        missing = [name for name in ("reader.onnx", "tokenizer.json", "reader.json") if not (path / name).is_file()]
        if missing:
            raise ReaderMissing(f"{path}: no reader model ({', '.join(missing)} missing); retrain it with "
                                f"'python -m evals.train_reader --out {path}' or turn it off (--no-reader)")
        record = json.loads((path / "reader.json").read_text(encoding="utf-8"))
        max_length = int(record.get("max length", 192))
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(str(path / "reader.onnx"), options, providers=["CPUExecutionProvider"])
        name = f"{path.name} ({record.get('layers', '?')} layers, {record.get('wall seconds', '?')} s of training)"
        return cls(session, tokenizer, name, max_length)

    def read(self, question: str, passages: list[str]) -> list[Reading]:
        """One Reading per passage, in the order given."""
        if not passages:
            return []
        encodings = self.tokenizer.encode_batch([(question, passage) for passage in passages])
        width = max(len(e.ids) for e in encodings)
        arrays = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in INPUT_NAMES}
        for i, encoding in enumerate(encodings):
            n = len(encoding.ids)
            arrays["input_ids"][i, :n] = encoding.ids
            arrays["attention_mask"][i, :n] = 1
            arrays["token_type_ids"][i, :n] = encoding.type_ids
        relevance, start, end = self.session.run(None, arrays)
        readings = []
        for i, encoding in enumerate(encodings):
            pieces = zip(encoding.sequence_ids, encoding.offsets, strict=True)
            allowed = np.zeros(width, dtype=bool)
            allowed[: len(encoding.ids)] = [sequence == 1 and e > s for sequence, (s, e) in pieces]
            if not allowed.any():
                readings.append(Reading(float(_sigmoid(relevance[i])), 0.0, None, None))
                continue
            first, last, score = best_span(start[i], end[i], allowed)
            null = float(start[i, 0] + end[i, 0])
            readings.append(Reading(float(_sigmoid(relevance[i])), float(_sigmoid(score - null)),
                                    encoding.offsets[first][0], encoding.offsets[last][1]))
        return readings


def logit(probability: float) -> float:
    """log(p / (1 - p)), kept finite."""
    p = min(max(probability, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def read_passages(passages: list[Passage], reader: Reader, question: str, typed: bool, depth: int = READ_DEPTH,
                  score: str = READ_SCORE, prior: float = READ_PRIOR) -> tuple[list[Passage], Reading | None]:
    """`passages` with the first `depth` re-ranked by the reader and their answers marked by it, and the
    reading of the new first passage (None when there are none).

    A passage's rank score is the reader's `score` ("relevance" or "answerable") as a logit, less `prior`
    x log(1 + its rank before reading): the retriever's order still counts, the reader moves what it is
    sure of. The reader marks the answer of a passage in which the answer rules found one of the kind
    asked for (`typed`: a who/when/how-many question; it may pick another: the Cuban lead, not the U.S.
    one), and of any passage of another question that it finds answerable; a typed passage without an
    answer of its kind stays unmarked, as the confidence counts it."""
    read = passages[:depth]
    if not read:
        return passages, None
    readings = reader.read(question, [p.text for p in read])
    ranks = [logit(getattr(r, score)) - prior * float(np.log1p(i)) for i, r in enumerate(readings)]
    order = sorted(range(len(read)), key=lambda i: -ranks[i])
    out = []
    for i in order:
        passage, reading = read[i], readings[i]
        marks = passage.answer is not None if typed else reading.answerable >= 0.5
        if marks and reading.start is not None and reading.end is not None:
            offset = passage.citation.start
            passage = replace(passage, answer=Span(offset + reading.start, offset + reading.end))
        out.append(passage)
    return out + passages[depth:], readings[order[0]]
