"""`python -m evals.natural.tune`: search the answering-sentence weights (`qa.sentences.Weights`) on the
natural dev half and SQuAD's tune half together, without the reader, and print the best settings and the
one in use.

SQuAD's questions copy their paragraph's words, so weights chosen on it alone favour sentences that
repeat the question (word coverage and word pairs) over those that mean it (the dense similarities); the
natural dev half asks as people ask. Each question's sentences are ranked once; each setting is then
scored by whether its best sentence's passage holds an answer, on each set, and ranked by their mean
(each set counts the same, whatever its size). The weights of a sentence's features
(`qa.sentences.FEATURES`) are searched with the bonus as it is (a sentence that opens with what a "what
is X?" asks about), then the bonus with the weights as they are. The fusion and re-scoring weights only
choose which eight chunks are read, which the first passage hardly depends on: re-scoring by coverage
1-2 and word pairs 1-3 (dense weight 0.6) gave the same first passages on both sets, question for
question; the dense weight of fusion was not searched again (natural dev without the reader, fusion's
dense weight 0.6 -> 0.8: first 0.540 -> 0.547, top3 0.784 either way). The test half is never asked.

    python -m evals.natural.tune [--squad-sample N] [--root DIR] [--squad-cache DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from config.settings import Settings, load_settings
from evals.known import KnownQuestion, load_set
from evals.metrics import holds_answer
from evals.natural.catalog import CATALOG, load_catalog, select
from evals.natural.install import default_root, install_missing
from qa.sentences import FEATURES

if TYPE_CHECKING:
    from qa.engine import Assistant



@dataclass(frozen=True)
class Asked:
    """One question of a set, with the strings that show its answer."""

    question: str
    answers: tuple[str, ...]


def natural_dev(root: Path, settings: Settings) -> list[tuple[Assistant, list[Asked]]]:
    """The dev collections, each ingested (cached) and opened, with its answerable standalone questions."""
    from index.embedding import Encoder
    from index.ingest import ingest
    from qa.engine import Assistant

    collections = select(load_catalog(CATALOG), "dev")
    install_missing(collections, root, log=lambda line: print(line, file=sys.stderr))
    encoder = Encoder.from_settings(settings)
    sets = []
    for collection in collections:
        folder = root / collection.name
        index_settings = settings.replace(index=str(root / ".indexes" / collection.name), root="")
        ingest([folder], index_settings, encoder)
        cases = [case for path in collection.questions for case in load_set(path, base=folder)]
        asked = [Asked(case.question, case.answers) for case in cases
                 if isinstance(case, KnownQuestion) and case.answerable]
        sets.append((Assistant.open(index_settings, encoder=encoder), asked))
    return sets


def squad_tune(settings: Settings, sample: int, cache: Path | None = None) -> tuple[Assistant, list[Asked]]:
    """SQuAD's tune half (a sample of it) on its cached index."""
    from evals.squad import SQUAD_FILE, prepared_index
    from qa.engine import Assistant

    squad_settings, questions = prepared_index(SQUAD_FILE, settings, cache, lambda line: print(line, file=sys.stderr))
    tune = [q for q in questions if q.split == "tune"]
    chosen = random.Random(0).sample(tune, min(sample, len(tune)))
    return Assistant.open(squad_settings), [Asked(q.question, tuple(q.answers)) for q in chosen]


BONUSES = ("defines",)  # added to a sentence that opens with what "what is X?" asks about (qa.sentences.Weights)


def sentence_rows(assistant: Assistant, asked: list[Asked]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per question: its sentences' features (`FEATURES`, then `BONUSES` as 1/0), what else their score
    holds (nothing, for a question that follows up on none), and whether each sentence's passage holds an
    answer."""
    from config.tuning import TUNED
    from qa.sentences import Weights, rank_sentences

    weights = Weights(defines=1.0)
    now = np.array([getattr(weights, name) for name in FEATURES])
    rows = []
    for item in asked:
        vector = assistant.encoder.encode([item.question])[0]
        candidates = assistant.retriever.search(item.question, k=TUNED.sentence_pool, vector=vector)
        sentences = rank_sentences(item.question, item.question, candidates, assistant.lookups, weights,
                                   vector=vector)
        features = np.array([s.features() for s in sentences]).reshape(-1, len(FEATURES))
        bonuses = np.round(np.array([s.score for s in sentences]) - features @ now).reshape(-1, len(BONUSES))
        hits = [holds_answer(s.source.text[s.shown.start : s.shown.end], item.answers)
                for s in sentences]
        rows.append((np.hstack([features, bonuses]), np.zeros(len(sentences)), np.array(hits, dtype=bool)))
    return rows


def answered(rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]], grid: np.ndarray) -> np.ndarray:
    """For each weight setting of `grid`, the share of questions whose best sentence's passage answers."""
    found = np.zeros(len(grid))
    for features, rest, hits in rows:
        if len(features):
            found += hits[np.argmax(features @ grid.T + rest[:, None], axis=0)]
    return found / max(1, len(rows))


def in_use() -> tuple[float, ...]:
    """The weights of `FEATURES` and `BONUSES` in use."""
    from qa.sentences import Weights

    weights = Weights()
    return tuple(getattr(weights, name) for name in (*FEATURES, *BONUSES))


def grids() -> np.ndarray:
    """The settings searched: the weights of `FEATURES` (the chunk's as it is) with the bonuses as they
    are, then the bonuses with the weights as they are."""
    chunk, *_, defines = in_use()
    weights = [(chunk, c, p, b, a, x, d, e, defines)
               for c in (0.25, 0.5, 1.0) for p in (0.0, 0.5, 1.0, 1.5) for b in (0.0, 0.25) for a in (0.1, 0.2)
               for x in (0.5, 1.0) for d in (0.5, 1.0, 2.0) for e in (0.5, 1.0, 2.0, 3.0)]
    features = in_use()[: len(FEATURES)]
    bonuses = [(*features, d) for d in (0.0, 0.1, 0.2, 0.4, 0.8)]
    return np.array(weights + bonuses)


def search(natural: list[tuple[Assistant, list[Asked]]], squad: tuple[Assistant, list[Asked]]) -> list[dict]:  # type: ignore[type-arg]
    """Every setting of `grids`, scored on both sets, the best mean first."""
    natural_rows = [row for assistant, asked in natural for row in sentence_rows(assistant, asked)]
    squad_rows = sentence_rows(*squad)
    grid = grids()
    on_natural, on_squad = answered(natural_rows, grid), answered(squad_rows, grid)
    trials = [{**dict(zip((*FEATURES, *BONUSES), map(float, weights), strict=True)),
               "natural_dev": round(float(n), 4), "squad_tune": round(float(q), 4), "mean": round(float(n + q) / 2, 4)}
              for weights, n, q in zip(grid, on_natural, on_squad, strict=True)]
    trials.sort(key=lambda t: -t["mean"])
    return trials


def _in_use(trial: dict) -> bool:  # type: ignore[type-arg]
    return all(abs(trial[name] - value) < 1e-9 for name, value in zip((*FEATURES, *BONUSES), in_use(), strict=True))


def _features_in_use(trial: dict) -> bool:  # type: ignore[type-arg]
    return all(abs(trial[name] - value) < 1e-9 for name, value in zip(FEATURES, in_use(), strict=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.natural.tune", description=__doc__.splitlines()[0])
    parser.add_argument("--squad-sample", type=int, default=500, help="SQuAD tune questions asked (default 500)")
    parser.add_argument("--root", type=Path, default=None, help="where the collections are laid out")
    parser.add_argument("--squad-cache", type=Path, default=None, help="where SQuAD's corpus and index are kept")
    args = parser.parse_args(argv)
    settings = load_settings(reader=False)
    natural = natural_dev(args.root or default_root(), settings)
    squad = squad_tune(settings, args.squad_sample, args.squad_cache)
    trials = search(natural, squad)
    print(json.dumps({"questions": {"natural_dev": sum(len(a) for _, a in natural), "squad_tune": len(squad[1])},
                      "best": trials[:15], "in_use": [t for t in trials if _in_use(t)][:1],
                      "bonuses": [t for t in trials if _features_in_use(t)][:8]}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
