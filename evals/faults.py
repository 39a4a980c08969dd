"""`qa bench faults`: the reliability suite of issue 15, repeating its fault probe on real files.

    qa bench faults [--quick] [--kills N] [--sigints N] [--json PATH]

Every fault is dealt to the real `qa` commands, run as subprocesses on files in a temporary folder
(the bundled corpus, SQuAD v1.1 dev paragraphs, fuzzed files), with a small QA_INGEST_WINDOW so
that a kill lands between stored windows:
- kill -9 and SIGINT at a random moment of `qa ingest` (into a new index, or one whose files changed);
- two ingests at once into one index; an ingest with `qa ask` looping beside it;
- the `chroma run` server killed -9 mid-ingest and restarted;
- fuzzed files in a folder, fuzzed questions through the stdin batch and the command line;
- a full tmpfs and a read-only one under the index (needs root to mount; skipped otherwise).

After each run (evals/fault_checks.py): every passage an answer quotes is its file's text at
[start, end); a clean re-ingest embeds exactly what the index lacked, then every file is in the
manifest with its current SHA-256 and all its chunks, Chroma holds the manifest's chunks, and the
BM25 copy holds Chroma's chunk ids; a second re-ingest embeds nothing; no command printed a
traceback, and each that failed said why in one `qa: ...` line. One table, one row per fault.
--quick is the CI subset: one kill -9, one concurrent pair, one small fuzz batch.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from config.settings import PROJECT_ROOT
from evals.fault_checks import (
    Findings,
    ask_batch,
    check_answers,
    check_command,
    finish,
    qa_environment,
    recover_and_check,
    run_qa,
    start_qa,
)
from evals.fault_fuzz import fuzzed_questions, write_fuzzed_files
from evals.squad_data import SQUAD_FILE, Paragraph, guarded, load_squad, paragraphs, write_paragraphs

CORPUS = PROJECT_ROOT / "corpus"
WINDOW = "4"  # chunks per stored window: many windows, so a kill lands between two


def log(message: str) -> None:
    print(f"qa bench faults: {message}", file=sys.stderr, flush=True)


@dataclass
class Row:
    """One scenario's line of the table."""

    scenario: str
    found: Findings
    seconds: float
    note: str = ""


@dataclass
class Workspace:
    """The temporary folder every scenario works in, the SQuAD paragraphs it draws files from, and
    the questions asked after each fault."""

    root: Path
    reserve: list[Paragraph]
    questions: list[str]
    rng: random.Random

    def folder(self, name: str, paragraph_count: int, with_corpus: bool = True) -> Path:
        """A new folder of real files: the bundled corpus and `paragraph_count` SQuAD paragraphs."""
        folder = self.root / name
        if with_corpus:
            shutil.copytree(CORPUS, folder)
        taken, self.reserve = self.reserve[:paragraph_count], self.reserve[paragraph_count:]
        write_paragraphs(taken, folder)
        return folder

    def ask(self, index: str, env: dict[str, str], found: Findings, count: int = 6) -> None:
        ask_batch(index, list(self.rng.sample(self.questions, count)), env, found)


def good_files(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*") if p.is_file())


def change_files(folder: Path, ws: Workspace, share: float = 0.25) -> None:
    """Edit a share of the files (text added at the top, so every offset moves), remove one, add one."""
    files = good_files(folder)
    for path in ws.rng.sample(files, max(1, int(len(files) * share))):
        path.write_text("A line added before the text, so that every offset moves.\n\n"
                        + path.read_text(encoding="utf-8"), encoding="utf-8")
    ws.rng.choice(files).unlink()
    if ws.reserve:
        write_paragraphs([ws.reserve.pop()], folder)


# ---- kill -9 and SIGINT during an ingest ------------------------------------------------------------------
def interrupted_ingests(ws: Workspace, sent: signal.Signals, runs: int, quick: bool) -> tuple[Findings, str]:
    """`qa ingest` sent `sent` at a random moment, into a new index or over changed files, `runs` times."""
    found = Findings()
    name = sent.name.lower()
    folder, index = ws.folder(f"{name}-docs", 12 if quick else 40), str(ws.root / f"{name}-index")
    env = qa_environment(QA_INGEST_WINDOW=WINDOW)
    whole = 5.0
    if not quick:  # the time a whole ingest takes here: kills are spread over it
        reference = run_qa("ingest", str(folder), "--index", index, env=env)
        check_command(reference, found)
        whole = reference.seconds
    for number in range(runs):
        fresh = quick or number % 2 == 1
        if fresh:
            shutil.rmtree(index, ignore_errors=True)
        else:
            change_files(folder, ws)
        delay = ws.rng.uniform(1.0 if quick else 0.3, whole if fresh else max(1.5, whole / 2))
        began = time.perf_counter()
        process = start_qa(("ingest", str(folder), "--index", index), env)
        time.sleep(delay)
        process.send_signal(sent)
        ran = finish(process, ("ingest", str(folder)), began)
        check_command(ran, found, killed=sent == signal.SIGKILL)
        found.cut_short += ran.code != 0
        if sent == signal.SIGINT and ran.code not in (0, 130):
            found.problem(f"SIGINT after {delay:.1f} s: exit {ran.code}, not 130: {ran.stderr.strip()[-200:]}")
        log(f"{name} {number + 1}/{runs} after {delay:.1f} s ({'new index' if fresh else 'files changed'}): "
            f"exit {ran.code}")
        recover_and_check([folder], index, good_files(folder), env, found, f"{name} {number + 1}")
        ws.ask(index, env, found)
        found.runs += 1
    return found, f"{found.cut_short} of {runs} stopped mid-run, the rest finished first"


# ---- concurrent writers and readers ------------------------------------------------------------------------
def concurrent_ingests(ws: Workspace, pairs: int) -> Findings:
    """Two `qa ingest` started together into one index: two folders into a new index, one folder
    twice, then both folders again after their files changed."""
    found = Findings()
    first, second = ws.folder("pair-a", 10), ws.folder("pair-b", 10, with_corpus=False)
    index = str(ws.root / "pair-index")
    env = qa_environment(QA_INGEST_WINDOW="2")
    for number in range(pairs):
        shape = number % 3
        if shape < 2:
            shutil.rmtree(index, ignore_errors=True)
        else:
            change_files(first, ws)
            change_files(second, ws)
        folders = [first, second] if shape != 1 else [first, first]
        began = time.perf_counter()
        processes = [start_qa(("ingest", str(f), "--index", index), env) for f in folders]
        for process, folder in zip(processes, folders, strict=True):
            ran = finish(process, ("ingest", str(folder)), began)
            check_command(ran, found)
            if ran.code != 0:
                found.problem(f"pair {number + 1}: `{ran.shown}` exit {ran.code}: {ran.stderr.strip()[-200:]}")
        log(f"concurrent pair {number + 1}/{pairs} done")
        recover_and_check([first, second], index, good_files(first, second), env, found, f"pair {number + 1}")
        ws.ask(index, env, found)
        found.runs += 1
    return found


def ingest_with_asks(ws: Workspace, runs: int) -> Findings:
    """`qa ask` looping while `qa ingest` re-indexes changed files: every passage quoted meanwhile is
    verbatim from the file as it is now."""
    found = Findings()
    folder, index = ws.folder("asks-docs", 20), str(ws.root / "asks-index")
    env = qa_environment(QA_INGEST_WINDOW="2")
    check_command(run_qa("ingest", str(folder), "--index", index, env=env), found)
    for number in range(runs):
        change_files(folder, ws, share=0.5)
        began = time.perf_counter()
        process = start_qa(("ingest", str(folder), "--index", index), env)
        asked = 0
        while process.poll() is None or asked == 0:
            ws.ask(index, env, found, count=3)
            asked += 1
        check_command(finish(process, ("ingest", str(folder)), began), found)
        log(f"ingest with asks {number + 1}/{runs}: {asked} ask batches during it")
        recover_and_check([folder], index, good_files(folder), env, found, f"asks {number + 1}")
        found.runs += 1
    return found


# ---- fuzzed files and questions ----------------------------------------------------------------------------
# (and before that, the share of its words a web page, PDF or Word file kept: "  kept 100% of its words")
LEFT_OUT = re.compile(r"(?:  kept \d+% of its words(?: \([^)]*\))?)?(?:  \(\d[\d,]* of \d[\d,]* lines left out: "
                      r"not prose\))?$")


def fuzzed_folder(ws: Workspace, files: int, questions: int) -> Findings:
    """A folder of good and fuzzed files: each fuzzed file indexed whole or named with its reason,
    every good one indexed; then fuzzed questions, through the stdin batch and the command line."""
    found = Findings()
    folder, index = ws.folder("fuzz-docs", 8), str(ws.root / "fuzz-index")
    good = good_files(folder)
    made = write_fuzzed_files(folder, files, seed=ws.rng.randrange(1 << 30))
    env = qa_environment(QA_INGEST_WINDOW=WINDOW)
    ran = run_qa("ingest", "--verbose", str(folder), "--index", index, env=env)
    check_command(ran, found)
    # `--verbose` lists each file, with the lines it left out after it: "  added     a.txt  (4 of 5 lines ...)"
    listed = [LEFT_OUT.sub("", line.strip()) for line in (ran.stdout + ran.stderr).splitlines()]
    for fuzzed in made:
        name = os.fsencode(fuzzed.path).rsplit(b"/", 1)[-1].decode("utf-8", "backslashreplace")
        if f"{name}: " not in ran.stderr and not any(line.endswith(name) for line in listed):
            found.problem(f"fuzz: {name} ({fuzzed.kind}) neither indexed nor named as skipped")
    must = [Path(os.fsdecode(f.path)) for f in made if f.must_index]
    recover_and_check([folder], index, good + must, env, found, "fuzz")
    found.runs += 1
    asked = fuzzed_questions(questions, seed=ws.rng.randrange(1 << 30), real=ws.questions)
    ask_batch(index, asked, env, found)
    for question in asked[:: max(1, len(asked) // 5)]:  # the same through the command line
        argv = run_qa("ask", "--json", "--index", index, question, env=env)
        check_command(argv, found)
        check_answers(argv, found)
    log(f"fuzz: {len(made)} files, {len(asked)} questions")
    return found


# ---- the table -----------------------------------------------------------------------------------------------
HEAD = ("scenario", "runs", "commands", "passages checked", "lost chunks", "misquotes", "tracebacks",
        "BM25 mismatches", "seconds", "notes")


def table(figures: dict) -> str:  # type: ignore[type-arg]
    """One row per scenario, then the problems found (the first few of each)."""
    lines = [f"qa bench faults: {figures['when']}, {figures['machine']}, chromadb {figures['chromadb']}; "
             f"`{figures['command']}`", "",
             "| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    for r in figures["rows"]:
        note = "; ".join(filter(None, [r["note"], f"{len(r['problems'])} problems (below)" if r["problems"] else ""]))
        cells = (r["scenario"], r["runs"], r["commands"], r["passages"], r["lost"], r["misquotes"], r["tracebacks"],
                 r["bm25"], f"{r['seconds']:.0f}", note)
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    for r in figures["rows"]:
        for problem in r["problems"][:8]:
            lines.append(f"- {r['scenario']}: {problem}")
    lines.append(f"\n{figures['seconds']:.0f} s in all; load average at the end "
                 + ", ".join(f"{x:.1f}" for x in figures["load_average"]))
    return "\n".join(lines)


def scenarios(args: argparse.Namespace) -> list[tuple[str, Callable[[Workspace], Findings | tuple[Findings, str]]]]:
    """The rows to run: the CI subset with --quick, every fault otherwise."""
    from evals.fault_hostile import hostile_folder
    from evals.fault_places import full_disk, read_only_index, server_killed

    kills = 1 if args.quick and args.kills is None else (20 if args.kills is None else args.kills)
    sigints = 0 if args.quick and args.sigints is None else (5 if args.sigints is None else args.sigints)
    rows: list[tuple[str, Callable[[Workspace], Findings | tuple[Findings, str]]]] = [
        (f"kill -9 during ingest × {kills}", lambda ws: interrupted_ingests(ws, signal.SIGKILL, kills, args.quick))]
    if sigints:
        rows.append((f"SIGINT during ingest × {sigints}",
                     lambda ws: interrupted_ingests(ws, signal.SIGINT, sigints, args.quick)))
    pairs = 1 if args.quick else 3
    rows.append((f"two ingests at once × {pairs}", lambda ws: concurrent_ingests(ws, pairs)))
    files, questions = (20, 20) if args.quick else (200, 100)
    if not args.quick:
        rows += [("ingest with asks looping × 2", lambda ws: ingest_with_asks(ws, 2)),
                 ("server killed mid-ingest × 3", lambda ws: server_killed(ws, 3))]
    rows.append((f"{files} fuzzed files, {questions} fuzzed questions",
                 lambda ws: fuzzed_folder(ws, files, questions)))
    rows.append(("hostile files (issue 24)", lambda ws: hostile_folder(ws, args.quick)))
    if not args.quick:
        rows += [("full disk (tmpfs)", full_disk), ("read-only index", read_only_index)]
    return rows


def figures_of(rows: list[Row], args: argparse.Namespace, seconds: float) -> dict:  # type: ignore[type-arg]
    """The rows so far, with when, where and how they were run."""
    from evals.report import machine

    return {"when": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), "machine": machine(),
            "chromadb": importlib.metadata.version("chromadb"),
            "command": "qa bench faults " + " ".join(args.given), "seconds": round(seconds, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "rows": [{"scenario": r.scenario, "runs": r.found.runs, "commands": r.found.commands,
                      "passages": r.found.passages, "lost": r.found.lost, "misquotes": r.found.misquotes,
                      "tracebacks": r.found.tracebacks, "bm25": r.found.bm25, "seconds": round(r.seconds, 1),
                      "cut_short": r.found.cut_short, "note": r.note, "problems": r.found.problems} for r in rows]}


def benchmark(args: argparse.Namespace) -> dict:  # type: ignore[type-arg]
    """Run every scenario in one temporary folder; the figures of each row (with --json, written
    after each row, so a run cut short keeps the rows it finished)."""
    from evals.speed import seed_questions

    chosen = paragraphs(load_squad(args.squad))
    rng = random.Random(args.seed)
    rng.shuffle(chosen)
    began = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="qa-faults-") as root:
        reserve = chosen[:600]
        asked = seed_questions() + [qa["question"] for p in reserve for qa in p.qas][:200]
        ws = Workspace(Path(root), reserve, asked, rng)
        for name, scenario in scenarios(args):
            log(f"{name} …")
            started = time.perf_counter()
            result = scenario(ws)
            found, note = result if isinstance(result, tuple) else (result, "")
            rows.append(Row(name, found, time.perf_counter() - started, note))
            if args.json:
                write_figures(args.json, figures_of(rows, args, time.perf_counter() - began))
    return figures_of(rows, args, time.perf_counter() - began)


def write_figures(path: Path, figures: dict) -> None:  # type: ignore[type-arg]
    path.write_text(json.dumps(figures, indent=1, ensure_ascii=False), encoding="utf-8")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `qa bench faults`."""
    parser.add_argument("--quick", action="store_true", help="the CI subset: one kill, one pair, one fuzz batch")
    parser.add_argument("--kills", type=int, metavar="N", help="kill -9 runs (default 20; 1 with --quick)")
    parser.add_argument("--sigints", type=int, metavar="N", help="SIGINT runs (default 5; 0 with --quick)")
    parser.add_argument("--seed", type=int, default=15, help="the random seed (moments, files, questions)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--squad", type=Path, default=SQUAD_FILE, help="the SQuAD v1.1 dev file")


def command(args: argparse.Namespace) -> int:
    """`qa bench faults ARGS...`; exit 1 when any row lost a chunk, misquoted, printed a traceback or
    left BM25 apart from Chroma."""
    if any(n is not None and n < 0 for n in (args.kills, args.sigints)):
        print("qa bench faults: --kills and --sigints take a number of 0 or more", file=sys.stderr)
        return 2

    def report() -> int:
        figures = benchmark(args)
        print(table(figures))
        if args.json:
            write_figures(args.json, figures)
        bad = any(r["lost"] or r["misquotes"] or r["tracebacks"] or r["bm25"] or r["problems"] for r in figures["rows"])
        return 1 if bad else 0

    return guarded("qa bench faults", report)


def main(argv: list[str] | None = None) -> int:
    """`qa bench faults ARGS...` alone: `python -m evals.faults ARGS...`."""
    parser = argparse.ArgumentParser(prog="qa bench faults", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.given = list(sys.argv[1:] if argv is None else argv)
    return command(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
