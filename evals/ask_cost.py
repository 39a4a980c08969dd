"""What one cold `qa ask` costs over a folder of web pages, beside one over the bundled text corpus.

    python -m evals.ask_cost [--html FOLDER] [--runs N] [--code DIR] [--json FILE]

Each folder is ingested into a temporary index; then each question is asked `--runs` times by a new
`qa ask` process, and the CPU seconds (user + system, `getrusage` of the children) and the wall
seconds are printed per folder, with the ratio of the HTML folder's CPU to the corpus's [goal ≤ 1.5].
One more ask under `python -X importtime` lists the extractor modules the question path imported
[goal: none]. `--code DIR` runs another checkout's code (`git worktree add`) with this environment,
to measure before a change. Nothing is gated: the figures are printed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from config.settings import PROJECT_ROOT, load_settings

CORPUS = PROJECT_ROOT / "corpus"
# questions a person would ask of each folder: not scored, only timed (each cites a few files)
CORPUS_QUESTIONS = ("when were talks suspended?", "who led the cuban delegation?", "what did the accords say?")
HTML_QUESTIONS = ("what is this document about?", "where are configuration files kept?", "who wrote it?")
# modules of the extractors: none of them may load to answer from an index that keeps its texts
EXTRACTOR_MODULES = ("trafilatura", "justext", "htmldate", "lxml", "pypdfium2", "docx", "pytesseract",
                     "index.formats.html", "index.formats.pdf", "index.formats.docx", "index.formats.ocr",
                     "index.documents.formats.html", "index.documents.formats.pdf", "index.documents.formats.docx",
                     "index.documents.formats.ocr")
RUN_QA = "import sys; from cli import main; sys.argv[0] = 'qa'; sys.exit(main())"


def qa_command(code: Path, *args: str, python_flags: tuple[str, ...] = ()) -> tuple[list[str], dict[str, str]]:
    """The command that runs `qa ARGS` from the checkout at `code`, and its environment."""
    env = {**os.environ, "PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1"}
    return [sys.executable, *python_flags, "-c", RUN_QA, *args], env


def run(code: Path, *args: str, python_flags: tuple[str, ...] = ()) -> tuple[float, float, str]:
    """(CPU seconds, wall seconds, stderr) of one `qa` process."""
    command, env = qa_command(code, *args, python_flags=python_flags)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(command, cwd=code, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"qa {' '.join(args)} failed: {done.stderr.strip()[-400:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, done.stderr


def extractors_imported(importtime: str) -> list[str]:
    """The extractor modules that `python -X importtime` says were imported."""
    names = {line.rsplit("|", 1)[-1].strip() for line in importtime.splitlines() if line.startswith("import time:")}
    found = {next(m for m in EXTRACTOR_MODULES if name == m or name.startswith(m + ".")) for name in names
             if any(name == m or name.startswith(m + ".") for m in EXTRACTOR_MODULES)}
    return sorted(found)  # each module once, its submodules in it


def measure(code: Path, folder: Path, questions: tuple[str, ...], runs: int, work: Path) -> dict[str, object]:
    """Ingest `folder`, then time cold asks over it and list the extractors one imports."""
    index = work / f"index-{folder.name}"
    cpu, wall, _ = run(code, "ingest", str(folder), "--index", str(index))
    print(f"  ingest {folder}: {cpu:.1f} s CPU, {wall:.1f} s wall, index {folder_size(index) / 1e6:.2f} MB", flush=True)
    cpus, walls = [], []
    for _ in range(runs):
        for question in questions:
            cpu, wall, _ = run(code, "ask", "--index", str(index), question)
            cpus.append(cpu)
            walls.append(wall)
    _, _, importtime = run(code, "ask", "--index", str(index), questions[0], python_flags=("-X", "importtime"))
    return {"folder": str(folder), "files": sum(1 for p in folder.rglob("*") if p.is_file()),
            "index_mb": round(folder_size(index) / 1e6, 3), "asks": len(cpus),
            "cpu_s": round(statistics.median(cpus), 3), "wall_s": round(statistics.median(walls), 3),
            "extractors_imported": extractors_imported(importtime)}


def folder_size(folder: Path) -> int:
    """The bytes of every file under `folder`."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    """Print the figures (and write them as JSON with `--json`)."""
    parser = argparse.ArgumentParser(prog="python -m evals.ask_cost", description=__doc__.split("\n")[0])
    parser.add_argument("--html", type=Path, default=Path("/work/natural-docs"), help="a folder of web pages")
    parser.add_argument("--runs", type=int, default=3, help="asks of each question")
    parser.add_argument("--code", type=Path, default=PROJECT_ROOT, help="the checkout whose code runs")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    code = args.code.resolve()
    encoder = load_settings().index_fingerprint()["encoder"]
    print(f"python -m evals.ask_cost --html {args.html} --runs {args.runs} --code {code}")
    print(f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
          f"encoder {encoder}, commit {git_commit(code)}")
    with tempfile.TemporaryDirectory(prefix="qa-ask-cost-") as temporary:
        work = Path(temporary)
        pages = work / "pages"
        pages.mkdir()
        for page in sorted(args.html.rglob("*.htm*")):
            shutil.copy(page, pages / f"{page.parent.name}-{page.name}")
        figures = {"corpus": measure(code, CORPUS, CORPUS_QUESTIONS, args.runs, work),
                   "html": measure(code, pages, HTML_QUESTIONS, args.runs, work)}
    ratio = figures["html"]["cpu_s"] / figures["corpus"]["cpu_s"]  # type: ignore[operator]
    for name, row in figures.items():
        print(f"{name:7} {row['files']:>3} files  index {row['index_mb']:6.2f} MB  cold ask (median of "
              f"{row['asks']}): {row['cpu_s']:.2f} s CPU, {row['wall_s']:.2f} s wall  "
              f"extractors imported: {', '.join(row['extractors_imported']) or 'none'}")  # type: ignore[arg-type]
    print(f"HTML ÷ corpus, CPU of a cold ask: {ratio:.2f} [goal ≤ 1.5]")
    if args.json:
        args.json.write_text(json.dumps({"encoder": encoder, "figures": figures, "cpu_ratio": round(ratio, 3)},
                                        indent=2) + "\n", encoding="utf-8")
    return 0


def git_commit(code: Path) -> str:
    """The checkout's commit, short."""
    done = subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=False)
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
