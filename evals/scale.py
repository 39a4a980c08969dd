"""`qa bench scale`: ingest and answering at 1,000, 10,000 and 50,000 chunks of real public text.

    qa bench scale [--levels 1000,10000,50000] [--questions N] [--json] [--plot docs/scale.png]

The corpus is public text already on this machine: the SQuAD v1.1 dev paragraphs (one file each)
and the plain-text documentation of installed tools (Vim's help files, Node.js's API and guides
in Markdown, CMake's reStructuredText help, Git's release notes and manuals), files shuffled
with a fixed seed. It grows in one index: each level copies in more files until the index holds
about that many chunks. At each level it reports ingest chunks/s (of the files added), the
re-ingest of the unchanged corpus (in process, and as the `qa ingest` command), one file
changed (seconds, chunks re-embedded and re-tokenized), warm question latency p50/p95 (SQuAD
questions), cold `qa ask`, the index's size on disk, and the peak memory of `qa ask` and of the
app. With --plot, question latency against corpus size is drawn into a PNG (needs matplotlib).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

from config.settings import PROJECT_ROOT, load_settings
from evals.squad_data import SQUAD_FILE, BenchError, guarded
from evals.timing import latency, run_command, timed

SOURCES = [  # (folder, file name endings): public plain text of installed tools
    (Path("/usr/share/vim/vim90/doc"), (".txt",)),
    (Path("/usr/share/doc/nodejs"), (".md",)),
    (Path("/usr/share/cmake-3.25/Help"), (".rst",)),
    (Path("/usr/share/doc/git"), (".txt", ".adoc")),
]
LEVELS = (1_000, 10_000, 50_000)
PART_BYTES = 64_000  # larger files are cut at blank lines into parts of about this size, so levels grow evenly
MAN_SECTIONS = ("man1", "man3", "man5", "man7", "man8")  # manual pages, rendered to text by `man`
MAN_PAGES = 4_000


def log(message: str) -> None:
    print(f"qa bench scale: {message}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "qa" / "scale"


def source_files(squad_file: Path, folder: Path) -> list[Path]:
    """Every corpus file, written into `folder` once (SQuAD paragraphs, docs copied as .txt/.md),
    in a fixed shuffled order."""
    folder.mkdir(parents=True, exist_ok=True)
    listing = folder / "files.json"
    if listing.is_file():
        return [Path(p) for p in json.loads(listing.read_text())]
    files: list[Path] = []
    squad = folder / "squad"
    squad.mkdir(exist_ok=True)
    data = json.loads(squad_file.read_text(encoding="utf-8"))["data"]
    for a, article in enumerate(data):
        for p, paragraph in enumerate(article["paragraphs"]):
            path = squad / f"{a:02d}-{p:03d}.txt"
            path.write_text(f"# {article['title'].replace('_', ' ')}\n\n{paragraph['context']}\n", encoding="utf-8")
            files.append(path)
    for root, endings in SOURCES:
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file() and path.name.endswith(endings):
                suffix = ".md" if path.suffix == ".md" else ".txt"
                text = path.read_text(encoding="utf-8", errors="replace")
                name = str(path.relative_to(root)).replace("/", "--")
                files.extend(write_parts(text, folder / root.name, name, suffix))
    files.extend(manual_pages(folder / "man"))
    random.Random(0).shuffle(files)
    listing.write_text(json.dumps([str(f) for f in files]))
    return files


def write_parts(text: str, folder: Path, name: str, suffix: str) -> list[Path]:
    """`text` written as one file, or as parts of about PART_BYTES cut at blank lines."""
    folder.mkdir(parents=True, exist_ok=True)
    parts, current = [], ""
    for block in text.split("\n\n"):
        if current and len(current) + len(block) > PART_BYTES:
            parts.append(current)
            current = ""
        current += block + "\n\n"
    parts.append(current)
    written = []
    for number, part in enumerate(parts, start=1):
        path = folder / (f"{name}{suffix}" if len(parts) == 1 else f"{name}--part{number:02d}{suffix}")
        path.write_text(part, encoding="utf-8")
        written.append(path)
    return written


def manual_pages(folder: Path) -> list[Path]:
    """Up to MAN_PAGES English manual pages, rendered to plain text by `man` (none without it)."""
    if shutil.which("man") is None:
        return []
    pages = sorted(p for section in MAN_SECTIONS for p in (Path("/usr/share/man") / section).glob("*.gz"))
    pages = random.Random(0).sample(pages, min(MAN_PAGES, len(pages)))
    log(f"rendering {len(pages):,} manual pages to text (once)")
    environment = {**os.environ, "MANWIDTH": "100", "MAN_KEEP_FORMATTING": "0"}
    written: list[Path] = []
    for page in pages:
        result = subprocess.run(["man", "--no-hyphenation", "--no-justification", "-P", "cat", "-l", str(page)],
                                capture_output=True, text=True, env=environment, errors="replace")
        if result.returncode == 0 and len(result.stdout) > 500:
            written.extend(write_parts(result.stdout, folder, page.name.removesuffix(".gz"), ".txt"))
    return written


def folder_size_mb(folder: Path) -> float:
    return round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6, 1)


def app_figures(index: str) -> dict[str, float]:
    """The app opened headless (`qa bench app 1`): seconds to ready and peak memory, MB."""
    code = ("import sys\nfrom evals import app_speed\ntry:\n    app_speed.main(sys.argv[1:])\nfinally:\n"
            "    peak = next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
            "    print(f'peak-kb: {peak}', flush=True)\n")
    result = subprocess.run([sys.executable, "-c", code, "--index", index, "1"], capture_output=True,
                            text=True, cwd=PROJECT_ROOT, env={**os.environ, "NO_COLOR": "1"})
    ready = peak = 0.0
    for line in result.stdout.splitlines():
        if line.startswith("start to ready:"):
            ready = float(line.split(":")[1].split()[0]) / 1000
        if line.startswith("peak-kb:"):
            peak = int(line.split()[1]) / 1024
    return {"ready_s": round(ready, 2), "peak_mb": round(peak, 1)}


def copy_in(path: Path, corpus: Path) -> Path:
    """Where a source file goes in the growing corpus."""
    return corpus / path.parent.name / path.name


def measure_level(files: list[Path], corpus: Path, settings, encoder, questions: list[str]) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """Every figure of one level, the index holding the chunks of `corpus`."""
    from index.ingest import ingest
    from qa.engine import Assistant

    again = ingest([corpus], settings, encoder)
    command = run_command(["ingest", "--index", settings.index, str(corpus)])
    edited = copy_in(files[len(files) // 2], corpus)
    with edited.open("a", encoding="utf-8") as out:
        out.write("\nThis sentence was added to measure the cost of changing one file of the corpus.\n")
    changed = ingest([corpus], settings, encoder)
    assistant = Assistant.open(settings, encoder=encoder)
    warm = latency(assistant, questions)
    cold = run_command(["ask", "--index", settings.index, questions[0]])
    return {
        "reingest_s": round(again.seconds, 2), "reingest_command_s": command["total_s"],
        "one_file_changed": {"s": round(changed.seconds, 2), "embedded": changed.chunks_embedded,
                             "tokenized": changed.chunks_tokenized},
        "warm_p50_ms": warm["p50_ms"], "warm_p95_ms": warm["p95_ms"],
        "cold_ask_s": cold["first_output_s"], "ask_peak_mb": cold["peak_mb"],
        "app": app_figures(settings.index),
        "index_mb": folder_size_mb(Path(settings.index)),
    }


def benchmark(levels: list[int], question_count: int, squad_file: Path, plot_to: Path | None = None) -> dict:  # type: ignore[type-arg]
    """Grow one index through `levels` chunks and measure at each; after each level the figures so
    far are saved (figures.json in the cache folder, and the plot), so a long run cut short keeps them."""
    from index.embedding import Encoder
    from index.ingest import ingest

    if not squad_file.is_file():
        raise BenchError(f"{squad_file}: SQuAD v1.1 dev set not found (put dev-v1.1.json there)")
    root = cache_root()
    files = source_files(squad_file, root / "sources")
    data = json.loads(squad_file.read_text(encoding="utf-8"))["data"]
    asked = [q["question"] for a in data for p in a["paragraphs"] for q in p["qas"]]
    questions = random.Random(1).sample(asked, question_count)
    settings = load_settings().replace(index=str(root / "index"))
    encoder = Encoder.from_settings(settings)
    os.environ["QA_ENCODER"] = encoder.backend  # the `qa` and app subprocesses use the same encoder
    corpus = root / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(settings.index, ignore_errors=True)
    corpus.mkdir(parents=True)
    rows: list[dict] = []  # type: ignore[type-arg]
    figures: dict = {"levels": rows}  # type: ignore[type-arg]
    taken, chunks, copied, per_byte = 0, 0, 0, 1 / 630  # chunks per byte, as measured here
    for level in levels:
        if taken >= len(files):
            log(f"{level:,} chunks: the corpus has only {chunks:,}; stopping")
            break
        batch: list[Path] = []
        budget = (level - chunks) / per_byte  # bytes of files expected to give the chunks wanted
        while taken + len(batch) < len(files) and budget > 0:
            batch.append(files[taken + len(batch)])
            budget -= batch[-1].stat().st_size
        for path in batch:
            target = copy_in(path, corpus)
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(path, target)
            copied += path.stat().st_size
        taken += len(batch)
        log(f"ingesting {len(batch):,} more files ({taken:,} in all) toward {level:,} chunks")
        seconds, report = timed(lambda: ingest([corpus], settings, encoder))
        chunks = report.chunks_total  # type: ignore[attr-defined]
        per_byte = max(chunks / copied, 1e-5)
        rate = report.chunks_embedded / seconds  # type: ignore[attr-defined]
        log(f"{chunks:,} chunks ({rate:.1f} chunks/s); measuring")
        row = {"level": level, "chunks": chunks, "files": taken, "ingest_chunks_per_s": round(rate, 1),
               "ingested": report.chunks_embedded, "ingest_s": round(seconds, 1)}  # type: ignore[attr-defined]
        row.update(measure_level(files[:taken], corpus, settings, encoder, questions))
        rows.append(row)
        log(json.dumps(row))
        figures = {"when": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
                   "machine": _machine(), "encoder": encoder.identity,
                   "load_average": [round(x, 2) for x in os.getloadavg()], "levels": rows}
        (root / "figures.json").write_text(json.dumps(figures, indent=1))
        if plot_to:
            plot(figures, plot_to)
    return figures


def _machine() -> str:
    from evals.report import machine

    return machine()


def table(figures: dict) -> str:  # type: ignore[type-arg]
    """One row per level."""
    head = ("chunks", "ingest/s", "re-ingest", "`qa ingest`", "1 file changed", "warm p50/p95", "cold ask",
            "ask peak", "app ready", "app peak", "index")
    lines = [f"qa bench scale: {figures['when']}, {figures['machine']}, encoder {figures['encoder']}", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in figures["levels"]:
        one = r["one_file_changed"]
        cells = (f"{r['chunks']:,}", f"{r['ingest_chunks_per_s']:.0f}", f"{r['reingest_s']:.2f} s",
                 f"{r['reingest_command_s']:.2f} s",
                 f"{one['s']:.2f} s ({one['embedded']} embedded, {one['tokenized']} tokenized)",
                 f"{r['warm_p50_ms']:.0f}/{r['warm_p95_ms']:.0f} ms", f"{r['cold_ask_s']:.2f} s",
                 f"{r['ask_peak_mb']:.0f} MB", f"{r['app']['ready_s']:.2f} s", f"{r['app']['peak_mb']:.0f} MB",
                 f"{r['index_mb']:.0f} MB")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(figures: dict, path: Path) -> None:  # type: ignore[type-arg]
    """Question latency (warm p50, p95; cold `qa ask`) against chunks in the index, as a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise BenchError("--plot needs matplotlib (pip install matplotlib==3.11.2)") from None
    rows = figures["levels"]
    x = [r["chunks"] for r in rows]
    figure, (warm, cold) = plt.subplots(1, 2, figsize=(9, 3.6))
    warm.plot(x, [r["warm_p50_ms"] for r in rows], "o-", label="p50")
    warm.plot(x, [r["warm_p95_ms"] for r in rows], "s--", label="p95")
    warm.set(xscale="log", xlabel="chunks in the index", ylabel="ms", title="warm question latency")
    warm.set_ylim(bottom=0)
    warm.legend()
    cold.plot(x, [r["cold_ask_s"] for r in rows], "o-", label="cold `qa ask`")
    cold.plot(x, [r["app"]["ready_s"] for r in rows], "s--", label="app start to ready")
    cold.set(xscale="log", xlabel="chunks in the index", ylabel="s", title="start-up")
    cold.set_ylim(bottom=0)
    cold.legend()
    for axis in (warm, cold):  # the levels' own counts, not a log scale's crowded minor labels
        axis.minorticks_off()
        axis.set_xticks(x, [f"{count:,}" for count in x])
    load = ", ".join(f"{x:.1f}" for x in figures["load_average"])
    figure.suptitle(f"qa bench scale, {figures['when']}, {figures['machine']}, {figures['encoder']}; "
                    f"load average {load}", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `qa bench scale`."""
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)), help="chunk counts (default 1000,10000,50000)")
    parser.add_argument("--questions", type=int, default=100, metavar="N", help="warm questions per level")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--plot", type=Path, metavar="PNG", help="draw latency against corpus size into PNG")
    parser.add_argument("--squad", type=Path, default=SQUAD_FILE, help="the SQuAD v1.1 dev file")


def command(args: argparse.Namespace) -> int:
    """`qa bench scale ARGS...`."""
    try:
        levels = sorted(int(x) for x in args.levels.split(","))
    except ValueError:
        print(f"qa bench scale: --levels {args.levels}: give chunk counts such as 1000,10000", file=sys.stderr)
        return 2

    def report() -> int:
        figures = benchmark(levels, args.questions, args.squad, args.plot)
        print(json.dumps(figures, indent=2) if args.json else table(figures))
        return 0

    return guarded("qa bench scale", report)


def main(argv: list[str] | None = None) -> int:
    """`qa bench scale ARGS...` alone: `python -m evals.scale ARGS...`."""
    parser = argparse.ArgumentParser(prog="qa bench scale", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.given = list(sys.argv[1:] if argv is None else argv)
    return command(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
