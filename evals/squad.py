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
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from config.settings import Settings, load_settings, user_dir
from evals.metrics import percentile, roc_auc
from evals.squad_data import SQUAD_FILE, BenchError, SquadQuestion, load_squad, write_corpus

CORPUS_FORMAT = 1  # bump when the way paragraphs become files changes
SPLITS = ("tune", "test", "all")
RANK_DEPTH = 10
SEARCH_DEPTH = 40  # chunks fetched to find RANK_DEPTH distinct paragraphs
SHOWN_DEPTH = 5  # passages shown per question (`qa ask --top-k 5`), for the shown-passage R@k

# Baselines measured on this machine over whole paragraphs (../shared/bench/RESULTS.md).
BASELINES: dict[str, dict[str, float]] = {
    "BM25 (RESULTS.md)": {"R@1": 0.768, "R@5": 0.925, "R@10": 0.952, "MRR@10": 0.835, "answer@1": 0.804},
    "dense (RESULTS.md)": {"R@1": 0.625, "R@5": 0.864, "R@10": 0.917, "MRR@10": 0.727, "answer@1": 0.675},
    "RRF k=60 (RESULTS.md)": {"R@1": 0.746, "R@5": 0.935, "R@10": 0.966, "MRR@10": 0.827, "answer@1": 0.786},
}
GOALS = {"R@1": 0.82, "R@5": 0.96, "MRR@10": 0.88, "answer@1": 0.80}


def normal_text(text: str) -> str:
    """Lower-cased, punctuation removed, white space collapsed (how answer strings are compared)."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def cache_root() -> Path:
    """Where built SQuAD corpora and indexes are kept between runs."""
    return user_dir("cache") / "squad"


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
    shown_ranks: list[int] = field(default_factory=list)  # the paragraph's rank among the passages shown

    def add(self, order: Sequence[str], question: SquadQuestion, passage_text: str | None,
            span_text: str | None, shown: Sequence[Sequence[str]] | None = None) -> None:
        """One question: `order` the retrieved paragraphs, best first; the first passage's text and
        marked span; `shown` the files each passage shown cites (`SHOWN_DEPTH` of them, in order; its
        own and its "also in")."""
        if shown is not None:
            rank = next((i for i, files in enumerate(shown, start=1) if question.source in files), 0)
            self.shown_ranks.append(rank)
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
        if self.shown_ranks:
            for k in (1, 5):
                out[f"shown R@{k}"] = sum(1 for r in self.shown_ranks if 0 < r <= k) / len(self.shown_ranks)
        return {k: round(v, 4) for k, v in out.items()}


def run_benchmark(settings: Settings, questions: list[SquadQuestion], log: Callable[[str], None]) -> dict:  # type: ignore[type-arg]
    """Ask every question in each mode; the figures per mode, latency and the abstain check."""
    from config.tuning import TUNED
    from qa.engine import Assistant

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
            shown = None
            if mode == "hybrid":
                start = time.perf_counter()
                answer = assistant.ask(question.question, top_k=SHOWN_DEPTH)
                ask_seconds.append(time.perf_counter() - start)
                confidences.append(answer.confidence)
                shown = [[p.citation.path, *(c.path for c in p.also_in)] for p in answer.passages]
            else:
                answer = assistant.answer_from(question.question, question.question, candidates[:TUNED.sentence_pool],
                                               settings.top_k)
            first = answer.passages[0] if answer.passages else None
            scored = (order, question, first.text if first else None, first.answer_text if first else None, shown)
            run.add(*scored)
            if question.split == "test":
                held_out[mode].add(*scored)
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
        "ask p50": round(1000 * (percentile(ask_seconds, 0.50) or 0.0), 1),
        "ask p95": round(1000 * (percentile(ask_seconds, 0.95) or 0.0), 1),
        "encode p50": round(1000 * (percentile(encode_seconds, 0.50) or 0.0), 1),
    }
    result["abstain"] = abstain_check(assistant, questions, vectors, confidences)
    return result


def abstain_check(assistant: object, questions: list[SquadQuestion], vectors: np.ndarray,
                  confidences: list[float], limit: int = 2000) -> dict[str, float]:
    """Confidence separation: each question asked normally (answerable) and against the corpus
    without its article's paragraphs (unanswerable, as far as SQuAD goes)."""
    from config.tuning import TUNED

    missing: list[float] = []
    present: list[float] = []
    for question, vector, confidence in list(zip(questions, vectors, confidences, strict=True))[:limit]:
        article = Path(question.source).name.split("-")[0]
        candidates = assistant.retriever.search(question.question, k=SEARCH_DEPTH, vector=vector)  # type: ignore[attr-defined]
        others = [c for c in candidates if not Path(c.chunk.source).name.startswith(article + "-")]
        answer = assistant.answer_from(question.question, question.question, others[:TUNED.sentence_pool], 3)  # type: ignore[attr-defined]
        missing.append(answer.confidence)
        present.append(confidence)
    return {"questions": len(present), "AUC": round(roc_auc(present, missing) or 0.0, 4)}


# ---- output -----------------------------------------------------------------------------------------
COLUMNS = ("R@1", "R@5", "R@10", "MRR@10", "answer@1", "span EM", "span F1", "shown R@1", "shown R@5")


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `qa bench squad`."""
    parser.add_argument("--sample", type=int, metavar="N", help="ask N questions drawn at random (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for --sample (default 0)")
    parser.add_argument("--split", choices=SPLITS, default="all",
                        help="tune = even-numbered articles, test = odd ones (default: all)")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument("--no-reader", action="store_true", help="answer without the reading model")
    parser.add_argument("--data", type=Path, default=SQUAD_FILE, help="the SQuAD v1.1 dev file")
    parser.add_argument("--cache", type=Path, help="where the corpus and index are kept (default: user cache)")
    parser.add_argument("--tune", action="store_true",
                        help="search fusion, re-scoring and sentence weights on the tune split (or --sample N of "
                             "it) and print the best")


def main(argv: list[str] | None = None) -> int:
    """`qa bench squad ARGS...` alone: `python -m evals.squad ARGS...`."""
    parser = argparse.ArgumentParser(prog="qa bench squad", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return command(parser.parse_args(argv))


def command(args: argparse.Namespace) -> int:
    """Run the benchmark; 0 on success, 1 with one line on stderr when it cannot run."""

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        from config.errors import QAError
        from config.settings import SettingsError

        try:
            settings, questions = prepared_index(args.data, load_settings(reader=False if args.no_reader else None),
                                                 args.cache, log)
            if args.tune:
                tune_split = [q for q in questions if q.split == "tune"]
                if args.sample and args.sample < len(tune_split):
                    tune_split = random.Random(args.seed).sample(tune_split, args.sample)
                from evals.squad_tune import tune

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
