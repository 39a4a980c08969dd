"""The reading stage: a small model that reads the question and each candidate passage together.

It gives, per passage, a relevance probability (for re-ranking), an answerable probability (for
abstaining) and the answer span as character offsets into the passage. The model is the int8 ONNX
file in models/reader/ (trained by `qa train reader`), run with onnxruntime; torch is
never imported here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from config.tuning import TUNED
from index.documents.lines import Span
from qa.passages import Citation, Passage

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "reader"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
MAX_ANSWER_PIECES = 30  # the longest answer span, in word pieces
# How many passages are read, which score ranks them and how much the order before reading counts:
# chosen on the tune half of SQuAD (config.tuning, evals/reader_bench.py --choose-on).
OVERRULE = 2.0  # logits by which the reader's span must beat the answer rules' to replace it (chosen by hand)


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
    # per word piece: start and end logits, and the character offsets into the passage (-inf where not
    # part of the passage); for scoring a span other than the best one (`span_score`)
    starts: np.ndarray | None = field(default=None, repr=False, compare=False)
    ends: np.ndarray | None = field(default=None, repr=False, compare=False)
    offsets: tuple[tuple[int, int], ...] = field(default=(), repr=False, compare=False)

    def span_score(self, start: int, end: int) -> float | None:
        """The reader's start + end logit for the characters [start, end) of the passage (None when no
        word piece of the passage covers them)."""
        if self.starts is None or self.ends is None:
            return None
        first = next((i for i, (s, e) in enumerate(self.offsets) if e > start and np.isfinite(self.starts[i])), None)
        last = next((i for i in range(len(self.offsets) - 1, -1, -1)
                     if self.offsets[i][0] < end and np.isfinite(self.ends[i])), None)
        if first is None or last is None or last < first:
            return None
        return float(self.starts[first] + self.ends[last])

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
                                f"'qa train reader --out {path}' or turn it off (--no-reader)")
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
                                    encoding.offsets[first][0], encoding.offsets[last][1],
                                    np.where(allowed, start[i], -np.inf), np.where(allowed, end[i], -np.inf),
                                    tuple(encoding.offsets) + ((0, 0),) * (width - len(encoding.offsets))))
        return readings


def whole_words(text: str, start: int, end: int) -> Span:
    """`text[start:end]` widened to whole words: the reader's word pieces can start or end inside one
    ("PID" of "SSH_AGENT_PID", "60" of "60-70%" is a number and stays)."""
    def inside(c: str) -> bool:  # a character of a word ("\w")
        return c.isalnum() or c == "_"

    while start > 0 and inside(text[start - 1]) and inside(text[start]):
        start -= 1
    while end < len(text) and inside(text[end]) and inside(text[end - 1]):
        end += 1
    return Span(start, end)


def logit(probability: float) -> float:
    """log(p / (1 - p)), kept finite."""
    p = min(max(probability, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def read_passages(passages: list[Passage], reader: Reader, question: str, kinds: Callable[[str], list[Span]] | None,
                  depth: int = TUNED.reader_depth, score: str = TUNED.reader_score, prior: float = TUNED.reader_prior,
                  reranks: bool = TUNED.reader_reranks, demoted: Callable[[Passage], bool] | None = None,
                  ) -> tuple[list[Passage], Reading | None]:
    """`passages` with the first `depth` re-ranked by the reader and their answers marked by it, and the
    reading of the new first passage (None when there are none).

    A passage's rank score is the reader's `score` ("relevance" or "answerable") as a logit, less `prior`
    x log(1 + its rank before reading): the retriever's order still counts, the reader moves what it is
    sure of; a passage `demoted` says is the answer just given stays after the others whatever the reader
    thinks of it (a follow-up asks for something new). Without `reranks` the order is kept. For a question that
    asks for a kind of answer (a name, a date, a number), `kinds` gives the
    spans of that kind in a text, and the reader chooses among them: of the names in "Alex Lee led the
    U.S. side; Josefina Vidal led the Cuban delegation" it marks the one its span scores put first, so
    the answer keeps its kind's shape; a passage with none stays unmarked, as the confidence counts
    it. For any other question it marks its own best span, unless it finds the passage answerable with
    less than `TUNED.reader_mark_floor` probability."""
    read = passages[:depth]
    if not read:
        return passages, None
    readings = reader.read(question, [p.text for p in read])
    ranks = [logit(getattr(r, score)) - prior * float(np.log1p(i)) for i, r in enumerate(readings)]
    order = list(range(len(read)))
    if reranks:
        last = [demoted is not None and demoted(p) for p in read]
        order.sort(key=lambda i: (last[i], -ranks[i]))
    out = []
    for i in order:
        passage, reading = read[i], readings[i]
        ruled = None if passage.answer is None else Span(passage.answer.start - passage.citation.start,
                                                         passage.answer.end - passage.citation.start)
        span = _typed_span(reading, passage.text, kinds, ruled) if kinds is not None else (
            whole_words(passage.text, reading.start, reading.end) if reading.answerable >= TUNED.reader_mark_floor
            and reading.start is not None and reading.end is not None else None)
        if span is not None:
            offset = passage.citation.start
            passage = replace(passage, answer=Span(offset + span.start, offset + span.end))
        out.append(passage)
    return out + passages[depth:], readings[order[0]]


def _typed_span(reading: Reading, text: str, kinds: Callable[[str], list[Span]], ruled: Span | None,
                at: int = 0) -> Span | None:
    """Of the spans of the kind asked for in `text`, the one the reader scores highest (None: there are
    none); the answer rules' own choice (`ruled`) stands unless the reader puts another above it by
    `OVERRULE` logits (e² ≈ 7 times as likely): on "Alex Lee led the U.S. side; Josefina Vidal led the
    Cuban delegation" the reader prefers Alex Lee by 1.2 for the Cuban side, and the rules, which read
    which name stands by the question's words, are right. `text` starts `at` characters into what the
    reader read; the spans are `text`'s own."""
    scored = [(score, span) for span in kinds(text)
              if (score := reading.span_score(at + span.start, at + span.end)) is not None]
    if not scored:
        return None
    best, chosen = max(scored, key=lambda pair: pair[0])
    kept = reading.span_score(at + ruled.start, at + ruled.end) if ruled is not None else None
    return ruled if ruled is not None and kept is not None and best - kept < OVERRULE else chosen


def answering_sentence(passage: Passage, reader: Reader, question: str, chunk: Span, text: str,
                       sentence_at: Callable[[int], Span | None], cite: Callable[[int, int], Citation],
                       kinds: Callable[[str], list[Span]] | None) -> Passage:
    """The first passage, or the sentence of its chunk where the reader finds the answer instead.

    The reader reads the whole chunk (`text[chunk]`, the passage's own) beside the passage. When it
    finds the chunk answerable with at least `TUNED.reader_reread_floor` probability, and by
    `TUNED.reader_reread_margin` more than the passage alone, and its answer lies outside the passage,
    the passage becomes the sentence holding that answer, with the context any passage gets
    (`sentence_at`, offsets into `text`; None: not a sentence that was ranked; `cite` cites a range of
    it): the sentences were chosen for the question's words, the reader reads what answers it. For a
    question that asks for a kind of answer the mark is the sentence's span of that kind the reader
    scores highest (none: unmarked, as `read_passages` has it); for any other, the reader's span."""
    whole, alone = reader.read(question, [text[chunk.start : chunk.end], passage.text])
    if whole.start is None or whole.end is None or whole.answerable < TUNED.reader_reread_floor or (
            whole.answerable - alone.answerable < TUNED.reader_reread_margin):
        return passage
    found = whole_words(text, chunk.start + whole.start, chunk.start + whole.end)
    start, end = found.start, found.end
    if start < passage.citation.end and passage.citation.start < end:  # it points into the passage
        return passage
    sentence = sentence_at(start)
    if sentence is None:
        return passage
    first, last = sentence.start, max(sentence.end, end)
    answer: Span | None = Span(start, end)
    if kinds is not None:
        typed = _typed_span(whole, text[first:last], kinds, None, at=first - chunk.start)
        answer = Span(first + typed.start, first + typed.end) if typed is not None else None
    return Passage(text[first:last], cite(first, last), passage.score, passage.title, answer)
