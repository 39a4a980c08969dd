"""`python -m evals.reader_bench`: the reader's figures on the held-out half of SQuAD v1.1 dev.

Each held-out question (odd-numbered articles; the reader never saw them) is asked through the
Assistant on the SQuAD index of `qa bench squad`; its first shown passages are then read by the reader
and re-ranked. Beside the Assistant alone (no reader), per N passages read:

- R@1: the first passage comes from the question's own paragraph;
- answer@1: a gold answer string is inside the first passage;
- span EM/F1: the marked span of the first passage against the gold answers;
- AUC: the answer's confidence, the same question asked with its article removed as the negative;
- the reader's latency per question.

Writes the per-question scores beside the table (JSON) so that the weights can be chosen offline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections.abc import Container
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from config.settings import load_settings
from evals.squad import (
    SEARCH_DEPTH,
    SQUAD_FILE,
    answer_found,
    load_squad,
    normal_text,
    percentile,
    prepared_index,
    roc_auc,
    token_f1,
)
from qa.reader import MODEL_DIR, Reader, logit

READ_DEPTH = 10  # passages kept per question; smaller N are their prefixes


def passage_rows(answer, gold_source: str, answers: tuple[str, ...]) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """Per shown passage: its text, whether it is the gold paragraph, holds an answer, and its span's score."""
    rows = []
    for passage in answer.passages[:READ_DEPTH]:
        span = passage.answer_text if passage.answer is not None else None
        rows.append({"text": passage.text, "gold": passage.citation.source == gold_source,
                     "holds": answer_found(passage.text, answers), "span": span})
    return rows


def span_scores(span: str | None, answers: tuple[str, ...]) -> tuple[float, float]:
    """SQuAD exact match and token F1 of a span (0, 0 for none)."""
    if span is None:
        return 0.0, 0.0
    return (float(any(normal_text(span) == normal_text(a) for a in answers)),
            max(token_f1(span, a) for a in answers))


def reread(records: list[dict], reader: Reader, log, depth: int = READ_DEPTH) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Read the stored passages of an earlier run again with another reader (the Assistant's part is kept);
    only the first `depth` of each question's (the rest are dropped)."""
    for number, record in enumerate(records, start=1):
        record["passages"], record["removed"] = record["passages"][:depth], record["removed"][:depth]
        for rows in (record["passages"], record["removed"]):
            start = time.perf_counter()
            readings = reader.read(record["question"], [row["text"] for row in rows])
            if rows is record["passages"]:
                record["read seconds"] = time.perf_counter() - start
            for row, reading in zip(rows, readings, strict=True):
                row.update(relevance=reading.relevance, answerable=reading.answerable,
                           reader_span=reading.answer_text(row["text"]))
        if number % 200 == 0:
            log(f"reader bench: {number}/{len(records)} questions read again")


def ask_all(settings, questions, reader: Reader, log) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """Ask each question (and again with its article removed); read the passages of both."""
    from config.tuning import TUNED
    from qa.engine import Assistant

    assistant = Assistant.open(settings)
    assistant.warm_up()
    records = []
    began = time.perf_counter()
    for number, question in enumerate(questions, start=1):
        answer = assistant.ask(question.question, top_k=READ_DEPTH)
        rows = passage_rows(answer, question.source, question.answers)
        start = time.perf_counter()
        readings = reader.read(question.question, [row["text"] for row in rows])
        read_seconds = time.perf_counter() - start
        for row, reading in zip(rows, readings, strict=True):
            row.update(relevance=reading.relevance, answerable=reading.answerable,
                       reader_span=reading.answer_text(row["text"]))
        article = Path(question.source).name.split("-")[0]
        vector = assistant.encoder.encode([question.question])[0]
        candidates = assistant.retriever.search(question.question, k=SEARCH_DEPTH, vector=vector)
        others = [c for c in candidates if not Path(c.chunk.source).name.startswith(article + "-")]
        removed = assistant.answer_from(question.question, question.question, others[:TUNED.sentence_pool], READ_DEPTH)
        removed_readings = reader.read(question.question, [p.text for p in removed.passages])
        records.append({
            "id": question.id, "question": question.question, "article": int(article),
            "answers": list(question.answers), "confidence": answer.confidence,
            "ask seconds": answer.seconds, "read seconds": read_seconds, "passages": rows,
            "removed confidence": removed.confidence,
            "removed": [{"text": p.text, "relevance": r.relevance, "answerable": r.answerable}
                        for p, r in zip(removed.passages, removed_readings, strict=True)],
        })
        if number % 100 == 0:
            log(f"reader bench: {number}/{len(questions)} questions, {time.perf_counter() - began:.0f} s")
    return records


class ArticleVocabulary:
    """The BM25 terms of the SQuAD corpus, by article, so that one article can be left out."""

    def __init__(self, data: dict) -> None:  # type: ignore[type-arg]
        from evals.squad_data import paragraphs
        from index.lexical import tokenize

        texts: list[list[str]] = [[] for _ in data["data"]]
        for paragraph in paragraphs(data):
            texts[paragraph.article].append(paragraph.file_text)
        self.by_article: list[set[str]] = [{t for terms in tokenize(article) for t in terms} for article in texts]
        self.articles: dict[str, int] = {}
        for vocabulary in self.by_article:
            for term in vocabulary:
                self.articles[term] = self.articles.get(term, 0) + 1

    def without(self, article: int | None) -> Container[str]:
        """The terms of every article but `article` (None: of all)."""
        outer = self

        class Known:
            def __contains__(self, term: object) -> bool:
                count = outer.articles.get(str(term), 0)
                return count - (article is not None and term in outer.by_article[article]) > 0

        return Known()


def add_unknown_words(records: list[dict], vocabulary: ArticleVocabulary) -> None:  # type: ignore[type-arg]
    """Per record: how many names and other words of the question are in no document, with the
    question's article present and removed."""
    from index.terms import TermCache
    from qa.coverage import unknown_words
    from qa.engine import function_terms

    terms = TermCache()
    for record in records:
        for key, article in (("present", None), ("removed", record["article"])):
            unknown = unknown_words(record["question"], vocabulary.without(article), terms, function_terms())
            record[f"unknown names {key}"] = len(unknown.names)
            record[f"unknown words {key}"] = len(unknown.words)


def reranked(rows: list[dict], depth: int, key: str, prior: float) -> dict:  # type: ignore[type-arg]
    """The first passage after re-ranking the first `depth`: the reader's `key` score as a logit, less
    `prior` x log(1 + the Assistant's rank) (0: the reader's order alone)."""
    return max(rows[:depth], key=lambda row: logit(row[key]) - prior * float(np.log1p(rows.index(row))))


def figures(records: list[dict], depth: int | None, weight: float = 0.0,  # type: ignore[type-arg]
            unknown: tuple[float, float] = (0.0, 0.0), key: str = "relevance", prior: float = 0.0) -> dict[str, float]:
    """R@1, answer@1, span EM/F1 and AUC with the first `depth` passages re-ranked by the reader
    (None: the Assistant alone); `weight`: how much of the reader's relevance is added to confidence;
    `unknown`: what is taken off it when a name / another word of the question is in no document;
    `key`: the reader's score that ranks and adds ("relevance" or "answerable"); `prior`: how much
    the Assistant's own order counts in the re-ranking (see `reranked`)."""
    r1, a1, em, f1, present, missing = [], [], [], [], [], []
    for record in records:
        rows = record["passages"]
        if not rows:
            r1.append(0.0)
            a1.append(0.0)
            em.append(0.0)
            f1.append(0.0)
            present.append(record["confidence"])
            missing.append(record["removed confidence"])
            continue
        if depth is None:
            first, span = rows[0], rows[0]["span"]
            present.append(record["confidence"])
            missing.append(record["removed confidence"])
        else:
            first = reranked(rows, depth, key, prior)
            span = first["reader_span"]
            removed = record["removed"][:depth]
            present.append(record["confidence"] + weight * first[key])
            missing.append(record["removed confidence"] + weight * max((r[key] for r in removed), default=0.0))
        r1.append(float(first["gold"]))
        a1.append(float(first["holds"]))
        for values, case in ((present, "present"), (missing, "removed")):
            values[-1] -= unknown[0] * (record.get(f"unknown names {case}", 0) > 0)
            values[-1] -= unknown[1] * (record.get(f"unknown words {case}", 0) > 0)
        exact, overlap = span_scores(span, tuple(record["answers"]))
        em.append(exact)
        f1.append(overlap)
    return {"R@1": round(float(np.mean(r1)), 4), "answer@1": round(float(np.mean(a1)), 4),
            "span EM": round(float(np.mean(em)), 4), "span F1": round(float(np.mean(f1)), 4),
            "AUC": round(roc_auc(present, missing), 4)}


CHOICES = [(depth, key, prior) for depth in (2, 3, 5, 8) for key in ("relevance", "answerable")
           for prior in (0.0, 0.5, 1.0, 2.0, 4.0)]


FIXED = [(2, "relevance", 1.0), (3, "relevance", 0.0), (3, "relevance", 1.0), (3, "relevance", 2.0),
         (3, "answerable", 2.0), (5, "relevance", 1.0)]


def choose(records: list[dict], depth: int = READ_DEPTH) -> tuple[int, str, float]:  # type: ignore[type-arg]
    """The re-ranking (N <= `depth`, score, prior) with the best answer@1 then R@1 on `records` (the tune
    split's)."""
    return max([c for c in CHOICES if c[0] <= depth],
               key=lambda c: (figures(records, c[0], key=c[1], prior=c[2])["answer@1"],
                              figures(records, c[0], key=c[1], prior=c[2])["R@1"]))


def latency_table(reader: Reader, repeats: int = 15) -> dict[str, dict[str, float]]:
    """Warm p50/p95 of reading N held-out passages of chunk length (a whole paragraph, up to the reader's
    length) and of sentence-window length (two sentences), N = 3, 5, 8, 10, 20; and the CPU time (both
    cores), which a busy machine inflates less."""
    from index.documents.sentences import split_sentences

    data = load_squad(SQUAD_FILE)
    paragraphs = [p for a, article in enumerate(data["data"]) if a % 2 for p in article["paragraphs"]]
    rng = random.Random(0)
    table: dict[str, dict[str, float]] = {}
    for length in ("chunk", "window"):
        for n in (3, 5, 8, 10, 20):
            seconds, cpu = [], []
            for _ in range(repeats):
                chosen = rng.sample(paragraphs, n)
                question = chosen[0]["qas"][0]["question"]
                if length == "chunk":
                    texts = [p["context"] for p in chosen]
                else:
                    texts = []
                    for p in chosen:
                        sentences = split_sentences(p["context"])
                        texts.append(p["context"][sentences[0].start : sentences[min(1, len(sentences) - 1)].end])
                start, start_cpu = time.perf_counter(), time.process_time()
                reader.read(question, texts)
                seconds.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            table[f"{length} N={n}"] = {"p50 ms": round(1000 * percentile(seconds[1:], 0.50), 1),
                                        "p95 ms": round(1000 * percentile(seconds[1:], 0.95), 1),
                                        "CPU p50 ms": round(1000 * percentile(cpu[1:], 0.50), 1)}
    return table


def main(argv: list[str] | None = None) -> int:
    """Run the bench and print its table; write the per-question records as JSON."""
    parser = argparse.ArgumentParser(prog="python -m evals.reader_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=1000, help="held-out questions asked (random, seed 0)")
    parser.add_argument("--reader", type=Path, default=MODEL_DIR)
    parser.add_argument("--split", choices=("test", "tune"), default="test",
                        help="test: the held-out odd-numbered articles (report); tune: the even ones (to choose N)")
    parser.add_argument("--json", type=Path, default=Path("reader-bench.json"))
    parser.add_argument("--reread", type=Path, help="read the passages stored in this JSON of an earlier run again")
    parser.add_argument("--choose-on", type=Path, metavar="JSON",
                        help="a --split tune run's JSON, read again: choose N, score and prior on it, report them here")
    parser.add_argument("--read", type=int, default=READ_DEPTH, metavar="N",
                        help="with --reread: read only each question's first N passages again (N <= %(default)s)")
    parser.add_argument("--latency", action="store_true", help="only time the reader on N passages of two lengths")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.latency:
        print(f"python -m evals.reader_bench --latency; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
              f"{platform.machine()}, {os.cpu_count()} cores")
        print(json.dumps(latency_table(Reader.load(args.reader)), indent=1))
        return 0

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    reader = Reader.load(args.reader)
    if args.reread:
        records = json.loads(args.reread.read_text(encoding="utf-8"))["records"]
        reread(records, reader, log, args.read)
    else:
        settings, questions = prepared_index(SQUAD_FILE, load_settings(), log=log)
        held_out = [q for q in questions if q.split == args.split]
        held_out = random.Random(0).sample(held_out, min(args.sample, len(held_out)))
        records = ask_all(settings, held_out, reader, log)
        add_unknown_words(records, ArticleVocabulary(load_squad(SQUAD_FILE)))
        args.json.write_text(json.dumps({"records": records}) + "\n", encoding="utf-8")  # kept even if a table fails
    table = {"no reader": figures(records, None), "no reader, unknown words": figures(records, None, 0, (1, 0.25))}
    if args.choose_on:
        tune = json.loads(args.choose_on.read_text(encoding="utf-8"))["records"]
        reread(tune, reader, log, args.read)
        args.json.with_suffix(".tune.json").write_text(json.dumps({"records": tune}) + "\n", encoding="utf-8")
        depth, key, prior = choose(tune, args.read)
        log(f"reader bench: chosen on {args.choose_on.name}: N={depth}, {key}, prior {prior}; there "
            f"{figures(tune, depth, key=key, prior=prior)}")
        for weight in (0.0, 0.5, 1.0):
            table[f"chosen on tune: N={depth} {key} prior={prior} w={weight}"] = figures(
                records, depth, weight, key=key, prior=prior)
    for depth in (d for d in (3, 5, 8, 10) if d <= args.read):
        for weight in (0.0, 0.5, 1.0, 2.0):
            table[f"reader N={depth} w={weight}"] = figures(records, depth, weight)
    for depth, key, prior in FIXED:  # the same few re-rankings for every reader, to compare readers by
        if depth <= args.read:
            table[f"reader N={depth} {key} prior={prior} w=0.5"] = figures(records, depth, 0.5, key=key, prior=prior)
    for depth in (d for d in (5, 8) if d <= args.read):
        table[f"reader N={depth} w=1.0, unknown words"] = figures(records, depth, 1.0, (1, 0.25))
        table[f"reader N={depth} w=1.0, by answerable"] = figures(records, depth, 1.0, key="answerable")
    seconds = [r["read seconds"] for r in records]
    asks = [r["ask seconds"] for r in records]
    latency = {"ask p50 ms": round(1000 * percentile(asks, 0.50), 1),
               "ask p95 ms": round(1000 * percentile(asks, 0.95), 1),
               f"read {args.read} passages p50 ms": round(1000 * percentile(seconds, 0.50), 1),
               f"read {args.read} passages p95 ms": round(1000 * percentile(seconds, 0.95), 1)}
    header = (f"python -m evals.reader_bench {' '.join(sys.argv[1:] if argv is None else argv)}; "
              f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.processor() or platform.machine()}, "
              f"{len(records)} held-out questions; reader {reader.name}")
    print(header)
    print("| run | R@1 | answer@1 | span EM | span F1 | AUC |\n|---|---|---|---|---|---|")
    for name, row in table.items():
        print(f"| {name} | " + " | ".join(str(row[k]) for k in ("R@1", "answer@1", "span EM", "span F1", "AUC")) + " |")
    print(json.dumps(latency))
    args.json.write_text(json.dumps({"header": header, "table": table, "latency": latency, "records": records}) + "\n",
                         encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
