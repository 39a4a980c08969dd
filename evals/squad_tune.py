"""`qa bench squad --tune`: search the fusion, re-scoring and sentence weights on the tune split
of SQuAD (even-numbered articles) only, from exact per-chunk scores, and print the best. The
values in use, and which of these searches chose each, are in `config.tuning`."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from config.settings import Settings
from evals.squad import SEARCH_DEPTH, RunScores, answer_found, paragraph_order
from evals.squad_data import SquadQuestion


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
    for coverage in (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0):
        for pairs in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0):
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
    """Grid-search the answering-sentence weights (`qa.sentences.Weights`) for answer@1."""
    from config.tuning import TUNED
    from qa.engine import Assistant
    from qa.sentences import FEATURES, rank_sentences

    assistant = Assistant.open(settings)
    rows = []
    log(f"squad tune: sentence features of {len(questions)} questions")
    for question in questions:
        vector = assistant.encoder.encode([question.question])[0]
        candidates = assistant.retriever.search(question.question, k=TUNED.sentence_pool, vector=vector)
        sentences = rank_sentences(question.question, question.question, candidates, assistant.lookups,
                                   vector=vector)
        hits = [answer_found(s.source.text[s.shown.start : s.shown.end], question.answers) for s in sentences]
        features = np.array([s.features() for s in sentences]).reshape(-1, len(FEATURES))
        rows.append((features, np.array(hits, dtype=bool)))
    grid = np.array([(c, v, p, b, a, x, d, e) for c in (0.0, 0.25, 0.5, 1.0) for v in (0.5, 1.0, 2.0)
                     for p in (0.0, 0.5, 1.0) for b in (0.0, 0.25, 0.5) for a in (0.1, 0.2, 0.4) for x in (0.5, 1.0)
                     for d in (0.0, 0.5, 1.0, 2.0, 4.0) for e in (0.0, 0.25, 0.5, 1.0)])
    found = np.zeros(len(grid))
    for features, hits in rows:
        if len(features):
            found += hits[np.argmax(features @ grid.T, axis=0)]
    trials = [
        {**dict(zip(FEATURES, map(float, weights), strict=True)), "answer@1": round(float(n) / max(1, len(rows)), 4)}
        for weights, n in zip(grid, found, strict=True)
    ]
    trials.sort(key=lambda t: -t["answer@1"])
    return trials[:8]


