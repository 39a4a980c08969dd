"""What the speed benchmarks time: a call, warm answers, a command's wall and CPU seconds, importing
chromadb, the app's start, peak memory (`qa bench speed`, `qa bench scale`)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from config.settings import PROJECT_ROOT
from evals.squad_data import BenchError

# `qa` run in a fresh interpreter that reports its own peak memory on exit: the kernel's ru_maxrss
# of a child counts the memory of the process that started it, so it would report ours.
COMMAND = """\
import sys
from qa.cli import main
try:
    code = main(sys.argv[1:])
finally:
    try:
        peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stderr.write(f"\\nqa-bench-peak-kb: {peak}\\n")
sys.exit(code)
"""
PEAK_MARK = "qa-bench-peak-kb: "


# ---- measuring ----------------------------------------------------------------------------------------
def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` quantile, interpolated linearly."""
    from evals.metrics import percentile as quantile

    value = quantile(values, fraction)
    return 0.0 if value is None else value


def timed(action: Callable[[], object]) -> tuple[float, object]:
    """Seconds an action takes, and what it returned."""
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


def latency(assistant, questions: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Warm latency of `assistant.ask` over `questions`, beside encoding each question alone."""
    assistant.warm_up()
    assistant.ask(questions[0])
    asked = [timed(lambda q=q: assistant.ask(q))[0] for q in questions]
    encoded = [timed(lambda q=q: assistant.encoder.encode([q]))[0] for q in questions]
    p50, p50_encode = percentile(asked, 0.5), percentile(encoded, 0.5)
    return {
        "questions": len(questions),
        "p50_ms": round(p50 * 1000, 1),
        "p95_ms": round(percentile(asked, 0.95) * 1000, 1),
        "encode_p50_ms": round(p50_encode * 1000, 1),
        "encode_p95_ms": round(percentile(encoded, 0.95) * 1000, 1),
        "vs_encode": round(p50 / p50_encode, 2) if p50_encode else 0.0,
    }


def run_command(arguments: list[str]) -> dict[str, float]:
    """A `qa` command as a fresh process: seconds to its first line of output, to its end, and its
    peak memory."""
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
    with tempfile.TemporaryFile() as errors:
        began = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", COMMAND, *arguments], stdout=subprocess.PIPE,
                                   stderr=errors, env=environment, cwd=PROJECT_ROOT)
        assert process.stdout is not None
        process.stdout.readline()
        first = time.perf_counter() - began
        process.stdout.read()
        process.stdout.close()
        code = process.wait()
        total = time.perf_counter() - began
        errors.seek(0)
        lines = errors.read().decode("utf-8", "replace").strip().splitlines()
    peaks = [line[len(PEAK_MARK):] for line in lines if line.startswith(PEAK_MARK)]
    messages = [line for line in lines if line.strip() and not line.startswith(PEAK_MARK)]
    if code != 0:
        raise BenchError(f"`qa {arguments[0]}` failed (exit {code}): {(messages or ['no message'])[-1]}")
    peak = int(peaks[-1]) / 1024 if peaks and peaks[-1].isdigit() else 0.0
    return {"first_output_s": round(first, 2), "total_s": round(total, 2), "peak_mb": round(peak, 1)}


def import_chromadb_s() -> float:
    """Seconds a fresh interpreter takes to import chromadb (and start and exit)."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import chromadb"], check=True, cwd=PROJECT_ROOT)
    return time.perf_counter() - began


def app_ready_s(index: str) -> float:
    """Seconds from starting the app (`qa bench app 1`, headless) to ready, as it reports them."""
    result = subprocess.run([sys.executable, "-m", "evals.app_speed", "--index", index, "1"], capture_output=True,
                            text=True, cwd=PROJECT_ROOT, env={**os.environ, "NO_COLOR": "1"})
    for line in result.stdout.splitlines():
        if line.startswith("start to ready:"):
            return float(line.split(":")[1].split()[0]) / 1000
    raise BenchError(f"qa bench app printed no start-to-ready line ({result.stderr.strip()[-200:]})")


def start_up_ratios(index: str, rounds: int = 3) -> dict[str, object]:
    """Cold `qa ask` and the app's start to ready against importing chromadb, timed in turn
    (`rounds` times each; medians)."""
    import statistics

    imports, asks, apps, peaks = [], [], [], []
    for _ in range(rounds):
        imports.append(import_chromadb_s())
        ask = run_command(["ask", "--index", index, "when did the talks take place?"])
        asks.append(ask["first_output_s"])
        peaks.append(ask["peak_mb"])
        apps.append(app_ready_s(index))
    base, ask_s, app_s = statistics.median(imports), statistics.median(asks), statistics.median(apps)
    return {"import_chromadb_s": round(base, 2), "ask_s": round(ask_s, 2), "app_ready_s": round(app_s, 2),
            "ask_peak_mb": max(peaks), "ask_vs_import": round(ask_s / base, 2), "app_vs_import": round(app_s / base, 2)}


def peak_mb() -> float:
    """This process's peak resident memory so far, MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
