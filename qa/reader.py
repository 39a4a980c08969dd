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
from qa.passages import Answer

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "reader"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
MAX_ANSWER_PIECES = 30  # the longest answer span, in word pieces
# What the shipped model is good for (models/reader/README.md): its span in the first passage. Its
# relevance re-ranks worse than the retriever (held-out R@1 0.90 -> 0.58 at N=3) and lowers the
# article-removed AUC when added to confidence, so by default it reads one passage and adds nothing.
READ_DEPTH = 1  # passages read and re-ranked per question (latency: about 15 ms per two-sentence passage)
RELEVANCE_WEIGHT = 0.0  # of the first passage's relevance probability, added to the confidence


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


def apply_reader(answer: Answer, reader: Reader, depth: int = READ_DEPTH, weight: float = RELEVANCE_WEIGHT,
                 threshold: float | None = None, question: str | None = None) -> Answer:
    """`answer` with its first `depth` passages re-ranked by the reader's relevance, each read passage's
    answer span taken from the reader, and `weight` x the first passage's relevance added to the
    confidence (abstaining again below `threshold`, when given). `question`: what the reader reads
    (default: the answer's question; a follow-up would pass the question resolved with its context)."""
    read = answer.passages[:depth]
    if not read:
        return answer
    readings = reader.read(question or answer.question, [p.text for p in read])
    order = sorted(range(len(read)), key=lambda i: -readings[i].relevance)
    passages = []
    for i in order:
        passage, reading = read[i], readings[i]
        if reading.start is not None and reading.end is not None:
            offset = passage.citation.start
            passage = replace(passage, answer=Span(offset + reading.start, offset + reading.end))
        passages.append(passage)
    confidence = answer.confidence + weight * readings[order[0]].relevance
    abstained = answer.abstained if threshold is None else confidence < threshold
    return replace(answer, passages=passages + answer.passages[depth:], confidence=confidence, abstained=abstained)
