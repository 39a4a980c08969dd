"""`qa bench mcp`: how long an answer takes through `qa mcp`, warm, against the same questions asked
of the assistant in-process (the Python API).

    qa bench mcp [--index DIR|URL] [--rounds N] [--out PATH]

The server is started as an MCP client starts it (the official SDK's client over stdio); the
questions are those of `evals/questions.jsonl`, asked `--rounds` times over after one warm-up
question each way. Per question: the seconds from the call to the answer, at the client (so the
MCP figure includes JSON over the pipe and the text rendering) and around `Assistant.ask`; CPU
seconds of the server process and of this process. Without `--index`, the bundled corpus is
indexed into a temporary folder first. Settings as `qa ask` reads them (qa.toml's threshold).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config.settings import PROJECT_ROOT, Settings, load_settings


def log(message: str) -> None:
    """A progress line on standard error."""
    print(f"mcp: {message}", file=sys.stderr, flush=True)


DEFAULT_OUT = PROJECT_ROOT / ".qa" / "bench" / "mcp.json"
QUESTIONS = PROJECT_ROOT / "evals" / "questions.jsonl"


def questions() -> list[str]:
    """Every question of the known-question set, answerable or not."""
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row["question"] for row in rows]


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(seconds)
    return {"n": len(ordered), "p50_ms": round(1000 * statistics.median(ordered), 1),
            "p95_ms": round(1000 * ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1)}


def children_cpu() -> dict[int, float]:
    """CPU seconds of each child process of this one (from /proc)."""
    found: dict[int, float] = {}
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[int(pid)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def over_mcp(settings: Settings, asked: list[str]) -> dict[str, Any]:
    """Start `qa mcp`, ask once to warm it, then time every question."""
    import anyio
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    figures: dict[str, Any] = {}

    async def session() -> None:
        nonlocal figures
        parameters = StdioServerParameters(command=str(Path(sys.executable).with_name("qa")),
                                           args=["mcp", "--index", settings.index], cwd=str(PROJECT_ROOT),
                                           env={"HF_HUB_OFFLINE": "1"})
        began = time.perf_counter()
        async with Client(parameters, read_timeout_seconds=600) as client:
            figures["initialize_s"] = round(time.perf_counter() - began, 2)
            await client.call_tool("ask", {"question": "warm up"})
            figures["first_answer_s"] = round(time.perf_counter() - began, 2)
            before = children_cpu()
            seconds = []
            for question in asked:
                start = time.perf_counter()
                result = await client.call_tool("ask", {"question": question})
                seconds.append(time.perf_counter() - start)
                if result.is_error:
                    raise SystemExit(f"qa bench mcp: {question!r}: {result.content[0].text}")
            after = children_cpu()
            figures["server_cpu_s"] = round(sum(after[pid] - before.get(pid, 0.0) for pid in after), 2)
            figures |= percentiles(seconds)

    anyio.run(session)
    return figures


def in_process(settings: Settings, asked: list[str]) -> dict[str, Any]:
    """The same questions asked of `qa.open` in this process, warm."""
    from qa.engine import Assistant

    assistant = Assistant.open(settings)
    assistant.warm_up()
    assistant.ask("warm up")
    seconds = []
    cpu = time.process_time()
    for question in asked:
        start = time.perf_counter()
        assistant.ask(question)
        seconds.append(time.perf_counter() - start)
    return {"cpu_s": round(time.process_time() - cpu, 2), **percentiles(seconds)}


def benchmark(index: str | None, rounds: int, given: list[str]) -> dict[str, Any]:
    """Every figure, as one JSON-ready dictionary."""
    from evals.report import machine
    from index.embedding import Encoder
    from index.ingest import ingest

    with tempfile.TemporaryDirectory(prefix="qa-mcp-") as tmp:
        settings = load_settings(index=index or str(Path(tmp) / "index"))
        if index is None:
            log("indexing the bundled corpus")
            ingest([PROJECT_ROOT / "corpus"], settings, Encoder.from_settings(settings))
        asked = questions() * rounds
        log(f"asking {len(asked)} questions through qa mcp")
        mcp = over_mcp(settings, asked)
        log(f"asking {len(asked)} questions in-process")
        local = in_process(settings, asked)
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
            "command": "qa bench mcp " + " ".join(given), "encoder": Encoder.from_settings(settings).backend,
            "reader": settings.reader, "mcp": mcp, "in_process": local}


def table(figures: dict[str, Any]) -> str:
    """The figures as a person reads them."""
    mcp, local = figures["mcp"], figures["in_process"]
    return "\n".join([
        f"qa bench mcp — {figures['date']} — {figures['machine']} — encoder {figures['encoder']}, "
        f"reader {'on' if figures['reader'] else 'off'}",
        f"{'':<26} {'questions':>9} {'p50 ms':>8} {'p95 ms':>8} {'CPU s':>7}",
        f"{'qa mcp (stdio, SDK client)':<26} {mcp['n']:>9} {mcp['p50_ms']:>8} {mcp['p95_ms']:>8} "
        f"{mcp['server_cpu_s']:>7}",
        f"{'in-process (Python API)':<26} {local['n']:>9} {local['p50_ms']:>8} {local['p95_ms']:>8} "
        f"{local['cpu_s']:>7}",
        f"qa mcp: initialize answered {mcp['initialize_s']} s after the start, the first answer (models "
        f"loaded) at {mcp['first_answer_s']} s"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `qa bench mcp`."""
    parser.add_argument("--index", help="the index to ask (default: the bundled corpus, indexed afresh)")
    parser.add_argument("--rounds", type=int, default=3, help="times each question is asked (default 3)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON written here (default {DEFAULT_OUT})")


def command(args: argparse.Namespace) -> int:
    """Run the command with its parsed arguments; the exit status."""
    figures = benchmark(args.index, args.rounds, args.given)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(table(figures))
    log(f"figures written to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`qa bench mcp ARGS...` alone: `python -m evals.mcp_bench ARGS...`."""
    parser = argparse.ArgumentParser(prog="qa bench mcp", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.given = list(sys.argv[1:] if argv is None else argv)
    return command(args)
