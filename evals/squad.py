"""`qa bench squad`: SQuAD v1.1 dev as a passage-retrieval and answering-sentence benchmark.

Every paragraph of the dev set becomes one text file (its article's title as a heading, then the
paragraph) in a cached corpus folder, ingested through the normal `index.ingest.ingest`; every
question is then asked against all 2,067 paragraphs. Figures, per retriever (ours = hybrid, and our
own BM25-only and dense-only runs):

- paragraph R@1/5/10 and MRR@10: a paragraph's rank is the position of its file among the files
  of the ranked chunks, each file counted at its first (best) chunk;
- answer@1: a gold answer string (lower-cased, punctuation removed, white space collapsed) inside
  the first returned passage (`Answer.passages[0]`, a sentence or a few, not the paragraph);
- span EM/F1: the marked answer span of the first passage against the gold answers (SQuAD's
  token F1), a secondary figure;
- warm latency p50/p95 of `Assistant.ask` (hybrid), beside the time to encode the question alone.

The split is fixed: questions of even-numbered articles (0, 2, ...) are `tune`, odd ones `test`.
`--tune` searches the fusion and sentence weights on the tune split only, from exact per-chunk
scores, and prints the best; the defaults in the code are what it found.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.settings import PROJECT_ROOT, Settings, load_settings

SQUAD_FILE = PROJECT_ROOT.parent / "shared" / "bench" / "squad_v1.1" / "dev-v1.1.json"
CORPUS_FORMAT = 1  # bump when the way paragraphs become files changes
SPLITS = ("tune", "test", "all")
RANK_DEPTH = 10
SEARCH_DEPTH = 40  # chunks fetched to find RANK_DEPTH distinct paragraphs

# Baselines measured on this machine over whole paragraphs (../shared/bench/RESULTS.md).
BASELINES: dict[str, dict[str, float]] = {
    "BM25 (RESULTS.md)": {"R@1": 0.768, "R@5": 0.925, "R@10": 0.952, "MRR@10": 0.835, "answer@1": 0.804},
    "dense (RESULTS.md)": {"R@1": 0.625, "R@5": 0.864, "R@10": 0.917, "MRR@10": 0.727, "answer@1": 0.675},
    "RRF k=60 (RESULTS.md)": {"R@1": 0.746, "R@5": 0.935, "R@10": 0.966, "MRR@10": 0.827, "answer@1": 0.786},
}
GOALS = {"R@1": 0.82, "R@5": 0.96, "MRR@10": 0.88, "answer@1": 0.80}


class BenchError(Exception):
    """A benchmark that cannot run; str() is the one line to show."""


@dataclass(frozen=True)
class SquadQuestion:
    """One SQuAD question with its gold paragraph file and answers (offsets into that file)."""

    id: str
    question: str
    answers: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    source: str
    article: int

    @property
    def split(self) -> str:
        return "tune" if self.article % 2 == 0 else "test"


# ---- data -----------------------------------------------------------------------------------------
def normal_text(text: str) -> str:
    """Lower-cased, punctuation removed, white space collapsed (how answer strings are compared)."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def paragraph_file_text(title: str, context: str) -> tuple[str, int]:
    """A paragraph's file: its article title as a heading, then the paragraph; and the paragraph's
    offset in it."""
    head = f"# {title.replace('_', ' ')}\n\n"
    return head + context + "\n", len(head)


def load_squad(path: Path) -> dict:  # type: ignore[type-arg]
    """The parsed dev set, or BenchError with one line saying what is wrong."""
    if not path.is_file():
        raise BenchError(f"{path}: SQuAD v1.1 dev set not found (put dev-v1.1.json there)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["data"][0]["paragraphs"][0]["qas"]
    except (OSError, ValueError, KeyError, IndexError, TypeError) as error:
        raise BenchError(
            f"{path}: not a SQuAD v1.1 file ({type(error).__name__}); use the official dev-v1.1.json"
        ) from None
    return data


def write_corpus(data: dict, folder: Path) -> list[SquadQuestion]:  # type: ignore[type-arg]
    """Write one file per paragraph into `folder` (only files whose text differs) and return the
    questions with their gold files."""
    folder.mkdir(parents=True, exist_ok=True)
    questions: list[SquadQuestion] = []
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            text, offset = paragraph_file_text(article["title"], paragraph["context"])
            path = folder / f"{a:02d}-{p:03d}.txt"
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(x["text"] for x in qa["answers"]))
                spans = tuple(
                    dict.fromkeys(
                        (offset + x["answer_start"], offset + x["answer_start"] + len(x["text"])) for x in qa["answers"]
                    )
                )
                questions.append(SquadQuestion(qa["id"], qa["question"], answers, spans, str(path.resolve()), a))
    return questions


def cache_root() -> Path:
    """Where built SQuAD corpora and indexes are kept between runs."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(tempfile.gettempdir(), f"qa-cache-{os.getuid()}")
    return Path(base) / "qa" / "squad"


def prepared_index(data_path: Path, settings: Settings, cache: Path | None = None,
                   log: Callable[[str], None] = lambda _: None) -> tuple[Settings, list[SquadQuestion]]:
    """The SQuAD corpus written and ingested (once per dev-file hash and index settings)."""
    from index.embedding import Encoder
    from index.ingest import ingest

    data = load_squad(data_path)
    file_hash = hashlib.sha256(data_path.read_bytes()).hexdigest()[:12]
    fingerprint = json.dumps({**settings.index_fingerprint(), "corpus": CORPUS_FORMAT}, sort_keys=True)
    key = f"{file_hash}-{hashlib.sha256(fingerprint.encode()).hexdigest()[:10]}"
    folder = (cache or cache_root()) / key
    questions = write_corpus(data, folder / "corpus")
    index_settings = settings.replace(index=str(folder / "index"))
    began = time.perf_counter()
    log(f"squad: corpus and index in {folder}")
    report = ingest([folder / "corpus"], index_settings, Encoder.from_settings(settings))
    if report.chunks_embedded:
        log(f"squad: ingested in {time.perf_counter() - began:.0f} s: {report.summary()}")
    return index_settings, questions


# ---- scoring ----------------------------------------------------------------------------------------
def paragraph_order(sources: Sequence[str]) -> list[str]:
    """Files in the order of their first (best) chunk."""
    return list(dict.fromkeys(sources))


def reciprocal_rank(order: Sequence[str], gold: str, depth: int = RANK_DEPTH) -> float:
    for rank, source in enumerate(order[:depth], start=1):
        if source == gold:
            return 1.0 / rank
    return 0.0


def answer_found(text: str, answers: Sequence[str]) -> bool:
    """Whether one of the gold answers is inside `text` (both normalised)."""
    haystack = f" {normal_text(text)} "
    return any(f" {normal_text(a)} " in haystack for a in answers if normal_text(a))


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD's token-overlap F1 between two strings (normalised, articles kept)."""
    predicted, expected = normal_text(prediction).split(), normal_text(gold).split()
    common = Counter(predicted) & Counter(expected)
    same = sum(common.values())
    if not same:
        return 0.0
    precision, recall = same / len(predicted), same / len(expected)
    return 2 * precision * recall / (precision + recall)


@dataclass
class RunScores:
    """Accumulated figures of one retriever over a set of questions."""

    name: str
    reciprocal: list[float] = field(default_factory=list)
    ranks: list[int] = field(default_factory=list)  # 0 = not in the first RANK_DEPTH
    answer_at_1: list[bool] = field(default_factory=list)
    span_em: list[float] = field(default_factory=list)
    span_f1: list[float] = field(default_factory=list)

    def add(self, order: Sequence[str], question: SquadQuestion, passage_text: str | None,
            span_text: str | None) -> None:
        rr = reciprocal_rank(order, question.source)
        self.reciprocal.append(rr)
        self.ranks.append(round(1 / rr) if rr else 0)
        self.answer_at_1.append(passage_text is not None and answer_found(passage_text, question.answers))
        if span_text is not None:
            self.span_em.append(float(any(normal_text(span_text) == normal_text(a) for a in question.answers)))
            self.span_f1.append(max(token_f1(span_text, a) for a in question.answers))

    def figures(self) -> dict[str, float]:
        n = max(1, len(self.ranks))
        out = {f"R@{k}": sum(1 for r in self.ranks if 0 < r <= k) / n for k in (1, 5, 10)}
        out["MRR@10"] = float(np.mean(self.reciprocal)) if self.reciprocal else 0.0
        out["answer@1"] = float(np.mean(self.answer_at_1)) if self.answer_at_1 else 0.0
        if self.span_f1:
            out["span EM"] = float(np.mean(self.span_em))
            out["span F1"] = float(np.mean(self.span_f1))
        return {k: round(v, 4) for k, v in out.items()}


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def run_benchmark(settings: Settings, questions: list[SquadQuestion], log: Callable[[str], None]) -> dict:  # type: ignore[type-arg]
    """Ask every question in each mode; the figures per mode, latency and the abstain check."""
    from qa.engine import SENTENCE_POOL, Assistant

    assistant = Assistant.open(settings)
    assistant.warm_up()
    encoder = assistant.encoder
    for warm in questions[:5]:
        assistant.ask(warm.question)
    log(f"squad: encoding {len(questions)} questions")
    vectors = encoder.encode([q.question for q in questions])
    runs = {mode: RunScores(mode) for mode in ("hybrid", "lexical", "dense")}
    held_out = {mode: RunScores(mode) for mode in runs}  # the test split's questions among them
    ask_seconds: list[float] = []
    encode_seconds: list[float] = []
    confidences: list[float] = []
    began = time.perf_counter()
    for number, (question, vector) in enumerate(zip(questions, vectors, strict=True), start=1):
        for mode, run in runs.items():
            candidates = assistant.retriever.search(question.question, k=SEARCH_DEPTH, vector=vector, mode=mode)
            order = paragraph_order([c.chunk.source for c in candidates])
            if mode == "hybrid":
                start = time.perf_counter()
                answer = assistant.ask(question.question)
                ask_seconds.append(time.perf_counter() - start)
                confidences.append(answer.confidence)
            else:
                answer = assistant.answer_from(question.question, question.question, candidates[:SENTENCE_POOL],
                                               settings.top_k)
            first = answer.passages[0] if answer.passages else None
            run.add(order, question, first.text if first else None, first.answer_text if first else None)
            if question.split == "test":
                held_out[mode].add(order, question, first.text if first else None,
                                   first.answer_text if first else None)
        if number % 25 == 0:
            start = time.perf_counter()
            encoder.encode([question.question])
            encode_seconds.append(time.perf_counter() - start)
        if number % 1000 == 0:
            log(f"squad: {number}/{len(questions)} questions, {time.perf_counter() - began:.0f} s")
    result: dict[str, object] = {name: run.figures() for name, run in runs.items()}
    if any(run.ranks for run in held_out.values()):
        result["test split"] = {name: run.figures() for name, run in held_out.items()}
    result["latency_ms"] = {
        "ask p50": round(1000 * percentile(ask_seconds, 50), 1),
        "ask p95": round(1000 * percentile(ask_seconds, 95), 1),
        "encode p50": round(1000 * percentile(encode_seconds, 50), 1),
    }
    result["abstain"] = abstain_check(assistant, questions, vectors, confidences)
    return result


def roc_auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if not positive or not negative:
        return 0.0
    values = np.concatenate([np.asarray(positive), np.asarray(negative)])
    order = values.argsort(kind="stable")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_values, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2
    ranks[order] = np.repeat(average, counts)
    positive_ranks = ranks[: len(positive)].sum()
    n_pos, n_neg = len(positive), len(negative)
    return float((positive_ranks - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def abstain_check(assistant: object, questions: list[SquadQuestion], vectors: np.ndarray,
                  confidences: list[float], limit: int = 2000) -> dict[str, float]:
    """Confidence separation: each question asked normally (answerable) and against the corpus
    without its article's paragraphs (unanswerable, as far as SQuAD goes)."""
    from qa.engine import SENTENCE_POOL

    missing: list[float] = []
    present: list[float] = []
    for question, vector, confidence in list(zip(questions, vectors, confidences, strict=True))[:limit]:
        article = Path(question.source).name.split("-")[0]
        candidates = assistant.retriever.search(question.question, k=SEARCH_DEPTH, vector=vector)  # type: ignore[attr-defined]
        others = [c for c in candidates if not Path(c.chunk.source).name.startswith(article + "-")]
        answer = assistant.answer_from(question.question, question.question, others[:SENTENCE_POOL], 3)  # type: ignore[attr-defined]
        missing.append(answer.confidence)
        present.append(confidence)
    return {"questions": len(present), "AUC": round(roc_auc(present, missing), 4)}


# ---- tuning (on the tune split only) ---------------------------------------------------------------
@dataclass
class ScoreTables:
    """Exact per-chunk scores of a set of questions: the inputs fusion works from."""

    sources: list[str]
    lexical_top: list[np.ndarray]  # per question: chunk positions by BM25, best first (positive only)
    dense_top: list[np.ndarray]  # per question: chunk positions by cosine, best first
    lexical: list[np.ndarray]  # per question: BM25 of every chunk
    dense: list[np.ndarray]  # per question: cosine of every chunk


def score_tables(settings: Settings, questions: list[SquadQuestion], depth: int = 100) -> ScoreTables:
    """BM25 and cosine of every chunk for every question, with each side's top `depth`."""
    from qa.engine import Assistant

    assistant = Assistant.open(settings)
    retriever = assistant.retriever
    ids = retriever.lexical.ids
    got = assistant.store.chunks.get(ids=ids, include=["embeddings", "metadatas"])
    position = {key: i for i, key in enumerate(got["ids"])}
    order = [position[key] for key in ids]
    matrix = np.asarray(got["embeddings"], dtype=np.float32)[order]
    sources = [str(got["metadatas"][i]["source"]) for i in order]
    vectors = assistant.encoder.encode([q.question for q in questions])
    tables = ScoreTables(sources, [], [], [], [])
    for question, vector in zip(questions, vectors, strict=True):
        lex = retriever.lexical_scores(question.question)
        den = matrix @ vector
        top_lex = np.argsort(-lex, kind="stable")[:depth]
        tables.lexical_top.append(top_lex[lex[top_lex] > 0])
        tables.dense_top.append(np.argsort(-den, kind="stable")[:depth])
        tables.lexical.append(lex)
        tables.dense.append(den)
    return tables


def fused_figures(tables: ScoreTables, questions: list[SquadQuestion], pool_size: int, dense_weight: float,
                  method: str, rrf_k: float = 60.0) -> dict[str, float]:
    """Paragraph R@1/R@5/MRR@10 of one fusion setting, from the score tables."""
    from qa.retrieve import fuse

    run = RunScores("tuning")
    for i, question in enumerate(questions):
        pool = np.array(list(dict.fromkeys([*tables.lexical_top[i][:pool_size], *tables.dense_top[i][:pool_size]])))
        scores = fuse(tables.lexical[i][pool], tables.dense[i][pool], dense_weight, method, rrf_k)
        ranked_pool = pool[np.argsort(-scores, kind="stable")][:SEARCH_DEPTH]
        run.add(paragraph_order([tables.sources[c] for c in ranked_pool]), question, None, None)
    figures = run.figures()
    return {k: figures[k] for k in ("R@1", "R@5", "R@10", "MRR@10")}


def tune(settings: Settings, questions: list[SquadQuestion], log: Callable[[str], None]) -> dict:  # type: ignore[type-arg]
    """Grid-search fusion settings on `questions` (the tune split); the best by MRR@10 first."""
    log(f"squad tune: scoring {len(questions)} questions against every chunk")
    tables = score_tables(settings, questions)
    trials: list[dict[str, object]] = []
    weights = [round(w, 2) for w in np.arange(0.0, 1.0001, 0.05)]
    for pool_size in (20, 50, 100):
        for method in ("zscore", "minmax", "max"):
            for weight in weights:
                trials.append({"pool": pool_size, "method": method, "dense_weight": weight,
                               **fused_figures(tables, questions, pool_size, weight, method)})
        for rrf_k in (5.0, 20.0, 60.0):
            for weight in weights:
                trials.append({"pool": pool_size, "method": f"rrf k={rrf_k:g}", "dense_weight": weight,
                               **fused_figures(tables, questions, pool_size, weight, "rrf", rrf_k)})
        log(f"squad tune: pool {pool_size} done")
    trials.sort(key=lambda t: (-float(t["MRR@10"]), -float(t["R@1"])))  # type: ignore[arg-type]
    best_by_method = {}
    for trial in trials:
        best_by_method.setdefault((trial["pool"], trial["method"]), trial)
    sample = random.Random(0).sample(questions, min(2000, len(questions)))
    return {
        "questions": len(questions),
        "fusion": {"best": trials[:10], "best_per_method": list(best_by_method.values())},
        "sentence_fusion": tune_sentence_fusion(settings, sample, log),
        "rerank": tune_rerank(settings, sample, log),
        "sentences": tune_sentences(settings, sample, log),
    }


def tune_sentence_fusion(settings: Settings, questions: list[SquadQuestion],
                         log: Callable[[str], None]) -> list[dict]:  # type: ignore[type-arg]
    """Grid-search the dense weight and the best-sentence weight of fusion, the whole retriever
    (re-scoring included) run for each pair."""
    from qa.engine import Assistant

    retriever = Assistant.open(settings).retriever
    vectors = retriever.encoder.encode([q.question for q in questions])
    log(f"squad tune: best-sentence fusion weights on {len(questions)} questions")
    trials = []
    for dense_weight in (0.4, 0.5, 0.6, 0.7):
        for sentence_weight in (0.0, 0.1, 0.2, 0.3, 0.4, 0.6):
            retriever.dense_weight, retriever.sentence_weight = dense_weight, sentence_weight
            run = RunScores("tuning")
            for question, vector in zip(questions, vectors, strict=True):
                found = retriever.search(question.question, k=SEARCH_DEPTH, vector=vector)
                run.add(paragraph_order([c.chunk.source for c in found]), question, None, None)
            figures = run.figures()
            trials.append({"dense_weight": dense_weight, "sentence_weight": sentence_weight,
                           **{k: figures[k] for k in ("R@1", "R@5", "MRR@10")}})
    trials.sort(key=lambda t: (-t["MRR@10"], -t["R@1"]))
    return trials[:8]


def tune_rerank(settings: Settings, questions: list[SquadQuestion], log: Callable[[str], None]) -> list[dict]:  # type: ignore[type-arg]
    """Grid-search the sentence re-scoring of the fused head (`qa.retrieve.Rerank`)."""
    from index.lexical import tokenize
    from qa.engine import Assistant
    from qa.retrieve import Rerank, sentence_match

    assistant = Assistant.open(settings)
    retriever = assistant.retriever
    retriever.rerank = Rerank(depth=0)
    depth = 20
    rows = []
    log(f"squad tune: re-ranking features of {len(questions)} questions")
    for question in questions:
        head = retriever.search(question.question, k=depth)
        query_terms = tokenize([question.question])[0]
        features = [
            sentence_match(query_terms, terms, retriever.lexical.idf)
            for terms in retriever.sentence_terms([c.chunk for c in head])
        ]
        rows.append((question, head, np.array([c.score for c in head]), np.array(features).reshape(-1, 2)))
    trials = []
    for coverage in (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0):
        for pairs in (0.0, 0.5, 1.0, 1.5, 2.0):
            run = RunScores("rerank")
            for question, head, base, features in rows:
                scores = base + coverage * features[:, 0] + pairs * features[:, 1] if len(head) else base
                order = [head[i].chunk.source for i in np.argsort(-scores, kind="stable")]
                run.add(paragraph_order(order), question, None, None)
            figures = run.figures()
            trials.append({"coverage": coverage, "bigrams": pairs, "R@1": figures["R@1"], "MRR@10": figures["MRR@10"]})
    trials.sort(key=lambda t: (-t["MRR@10"], -t["R@1"]))
    return trials[:5]


def tune_sentences(settings: Settings, questions: list[SquadQuestion], log: Callable[[str], None]) -> list[dict]:  # type: ignore[type-arg]
    """Grid-search the answering-sentence weights (`qa.answer.Weights`) for answer@1."""
    from qa.answer import passage_span, rank_sentences
    from qa.engine import SENTENCE_POOL, Assistant, terms

    assistant = Assistant.open(settings)
    rows = []
    log(f"squad tune: sentence features of {len(questions)} questions")
    for question in questions:
        vector = assistant.encoder.encode([question.question])[0]
        candidates = assistant.retriever.search(question.question, k=SENTENCE_POOL, vector=vector)
        sentences = rank_sentences(question.question, question.question, candidates, assistant.files, terms,
                                   assistant.idf, vector=vector)
        hits = []
        for sentence in sentences:
            span = passage_span(sentence, question.question)
            hits.append(answer_found(sentence.source.text[span.start : span.end], question.answers))
        features = [(s.chunk_gap, s.coverage, s.bigrams, float(s.has_shape), s.context, s.dense_gap, s.sentence_gap)
                    for s in sentences]
        rows.append((np.array(features).reshape(-1, 7), np.array(hits, dtype=bool)))
    names = ("chunk", "coverage", "bigrams", "answer_shape", "context", "dense", "sentence")
    grid = np.array([(c, v, b, a, x, d, e) for c in (0.0, 0.25, 0.5, 1.0) for v in (0.5, 1.0, 2.0)
                     for b in (0.0, 0.25, 0.5) for a in (0.1, 0.2, 0.4) for x in (0.5, 1.0)
                     for d in (0.0, 0.5, 1.0, 2.0, 4.0) for e in (0.0, 0.25, 0.5, 1.0)])
    found = np.zeros(len(grid))
    for features, hits in rows:
        if len(features):
            found += hits[np.argmax(features @ grid.T, axis=0)]
    trials = [
        {**dict(zip(names, map(float, weights), strict=True)), "answer@1": round(float(n) / max(1, len(rows)), 4)}
        for weights, n in zip(grid, found, strict=True)
    ]
    trials.sort(key=lambda t: -t["answer@1"])
    return trials[:8]


# ---- output -----------------------------------------------------------------------------------------
COLUMNS = ("R@1", "R@5", "R@10", "MRR@10", "answer@1", "span EM", "span F1")


def table(result: dict) -> str:  # type: ignore[type-arg]
    names = {"hybrid": "ours: hybrid", "lexical": "ours: BM25 only", "dense": "ours: dense only"}
    rows = [(names[mode], result[mode]) for mode in names] + list(BASELINES.items())
    lines = ["| method | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for name, figures in rows:
        cells = [f"{figures[c]:.3f}" if c in figures else "" for c in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if "test split" in result and result["split"] != "test":
        lines.append("")
        lines.append("test split (odd-numbered articles, never used for tuning):")
        for mode, name in names.items():
            figures = result["test split"][mode]
            cells = [f"{figures[c]:.3f}" if c in figures else "" for c in COLUMNS]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    latency = result["latency_ms"]
    lines.append("")
    lines.append(
        f"{result['questions']} questions ({result['split']} split); warm `ask` p50 {latency['ask p50']} ms, "
        f"p95 {latency['ask p95']} ms; encoding the question alone p50 {latency['encode p50']} ms"
    )
    abstain = result["abstain"]
    lines.append(
        f"confidence AUC, answerable vs. own article removed: {abstain['AUC']:.3f} "
        f"over {abstain['questions']} questions"
    )
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="qa bench squad", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, metavar="N", help="ask N questions drawn at random (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for --sample (default 0)")
    parser.add_argument("--split", choices=SPLITS, default="all",
                        help="tune = even-numbered articles, test = odd ones (default: all)")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument("--data", type=Path, default=SQUAD_FILE, help="the SQuAD v1.1 dev file")
    parser.add_argument("--cache", type=Path, help="where the corpus and index are kept (default: user cache)")
    parser.add_argument("--tune", action="store_true",
                        help="search fusion, re-scoring and sentence weights on the tune split (or --sample N of "
                             "it) and print the best")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run the benchmark; 0 on success, 1 with one line on stderr when it cannot run."""
    args = parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        from index.errors import QAError
        from index.settings import SettingsError

        try:
            settings, questions = prepared_index(args.data, load_settings(), args.cache, log)
            if args.tune:
                tune_split = [q for q in questions if q.split == "tune"]
                if args.sample and args.sample < len(tune_split):
                    tune_split = random.Random(args.seed).sample(tune_split, args.sample)
                print(json.dumps(tune(settings, tune_split, log), indent=2))
                return 0
            chosen = [q for q in questions if args.split == "all" or q.split == args.split]
            if args.sample and args.sample < len(chosen):
                chosen = random.Random(args.seed).sample(chosen, args.sample)
            result = run_benchmark(settings, chosen, log)
        except (QAError, SettingsError) as error:
            raise BenchError(str(error)) from None
    except BenchError as error:
        print(f"qa bench squad: {error}", file=sys.stderr)
        return 1
    result.update({"questions": len(chosen), "split": args.split, "baselines": BASELINES, "goals": GOALS})
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(table(result))
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
