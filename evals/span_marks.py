"""Where the reader's own mark pays: span F1 of the first passage on SQuAD against the answerable
probability below which the reader leaves a passage unmarked (`config.tuning.Tuned.reader_mark_floor`).

Each question is asked once through the Assistant; the first passage's reading is kept, and every
floor is then scored from it: at or above the floor the reader's best span is the mark, below it the
mark the answer rules made (for questions asking for a name, date or number the kind rules stand, as
`qa.reader.read_passages` has them). With no mark the whole passage counts, as `qa bench squad` counts
it. Choose on `--split tune`; report on `--split test`.

    python -m evals.span_marks --split tune --sample 1500
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass

import qa.engine
from config.settings import load_settings
from evals.squad import SQUAD_FILE, prepared_index, token_f1

FLOORS = (0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.0)


@dataclass
class FirstPassage:
    """The first passage of one answer, before and after reading."""

    gold: list[str]
    text: str
    typed: bool  # the question asks for a name, a date or a number
    shown: str  # what the Assistant marked (the whole passage when nothing)
    ruled: str | None  # the answer rules' mark, before reading
    answerable: float
    own: str | None  # the reader's best span


def f1(text: str, gold: list[str]) -> float:
    return max(token_f1(text, answer) for answer in gold)


def record(split: str, sample: int, seed: int) -> list[FirstPassage]:
    """Ask `sample` questions of `split`, keeping each first passage's reading."""
    settings, questions = prepared_index(SQUAD_FILE, load_settings(), None, lambda m: print(m, file=sys.stderr))
    chosen = [q for q in questions if q.split == split]
    chosen = random.Random(seed).sample(chosen, min(sample, len(chosen)))
    seen: dict[str, tuple] = {}  # type: ignore[type-arg]
    reading_of = qa.engine.read_passages

    def read_and_keep(pool, reader, question, kinds, **options):  # type: ignore[no-untyped-def]
        out, read = reading_of(pool, reader, question, kinds, **options)
        if pool and read is not None:
            first = pool[0]
            ruled = first.answer_text if first.answer is not None else None
            own = read.answer_text(first.text)
            seen["first"] = (first.text, kinds is not None, ruled, read.answerable, own)
        return out, read

    qa.engine.read_passages = read_and_keep
    try:
        assistant = qa.engine.Assistant.open(settings)
        rows = []
        for question in chosen:
            seen.clear()
            answer = assistant.ask(question.question, top_k=5)
            if not answer.passages or "first" not in seen:
                continue
            text, typed, ruled, answerable, own = seen["first"]
            if text != answer.passages[0].text:  # the first passage read is not the one shown first
                continue
            rows.append(FirstPassage(question.answers, text, typed, answer.passages[0].answer_text, ruled,
                                     answerable, own))
        return rows
    finally:
        qa.engine.read_passages = reading_of


def marked(row: FirstPassage, floor: float) -> str:
    """The mark at `floor`: kind questions as shipped, others the reader's span at or above it."""
    if row.typed:
        return row.shown
    if row.own is not None and row.answerable >= floor:
        return row.own
    return row.ruled or row.text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.span_marks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("tune", "test"), default="tune")
    parser.add_argument("--sample", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = record(args.split, args.sample, args.seed)
    if not rows:
        print("span_marks: no first passages read", file=sys.stderr)
        return 1
    print(f"{len(rows)} first passages ({args.split} split); span F1 of the mark")
    print(f"as shipped: {sum(f1(r.shown, r.gold) for r in rows) / len(rows):.4f}")
    for floor in FLOORS:
        print(f"floor {floor:<5}: {sum(f1(marked(r, floor), r.gold) for r in rows) / len(rows):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
