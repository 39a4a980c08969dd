"""`qa bench speed`: how fast ingesting, re-ingesting and answering are, beside the encoder alone.

    qa bench speed [--sample N] [--questions N] [--json]

Figures (goals from the issues in brackets):
- ingest throughput of the SQuAD v1.1 dev paragraphs (one text file each, in a temporary folder,
  through `index.ingest.ingest`), chunks/s, next to the encoder alone on the same chunk texts with
  the same batch size; the ratio is the figure [≥ 0.9]; and next to the PyTorch encoder
  (sentence-transformers, the encoder before the ONNX export) on a sample of the same chunks
  [ingest ÷ PyTorch ≥ 2.0];
- re-ingest of the unchanged corpus, in the same process, so without start-up [< 1 s]; the
  `qa ingest` command's whole time is shown beside it;
- warm question latency p50/p95 on the bundled corpus (its eval questions) and on SQuAD (a sample
  of its questions) [SQuAD: p50 ≤ 40 ms, p95 ≤ 80 ms, ≤ 2 × encoding the question alone];
- cold time from starting `qa ask` to its first answer, as a subprocess, on both indexes, and
  the app's start to ready (`qa bench app`), each as a ratio to `python -c "import chromadb"`
  timed in turn with it, so the machine's noise cancels [ask ≤ 2.5 ×, app ≤ 3 ×];
- peak memory (maximum resident set) of this process and of each `qa ask` subprocess.
Nothing is gated: the benchmark prints figures and their goals.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from config.settings import PROJECT_ROOT, load_settings
from evals.squad_data import SQUAD_FILE, guarded, load_squad, paragraphs, write_paragraphs
from evals.timing import (
    latency,
    peak_mb,
    run_command,
    start_up_ratios,
    timed,
)

SEED_CORPUS = PROJECT_ROOT / "corpus"
SEED_QUESTIONS = PROJECT_ROOT / "evals" / "questions.jsonl"

GOALS = {
    "ingest_vs_encoder": ("≥", 0.9),
    "reingest_s": ("<", 1.0),
    "squad_p50_ms": ("≤", 40.0),
    "squad_p95_ms": ("≤", 80.0),
    "squad_vs_encode": ("≤", 2.0),
    "ingest_vs_torch": ("≥", 2.0),
    "ask_vs_import": ("≤", 2.5),
    "app_vs_import": ("≤", 3.0),
}
TORCH_SAMPLE = 512  # chunks the PyTorch encoder encodes for its rate
# The batch qa encoded with PyTorch (sentence-transformers) before the ONNX encoder: the goal's "today's
# PyTorch encoder". PyTorch is timed at ours too, and the ratio to the faster of the two is shown beside.
TORCH_BATCH = 64


def log(message: str) -> None:
    """Progress on standard error (the figures go to standard output)."""
    print(f"qa bench speed: {message}", file=sys.stderr, flush=True)


# ---- the SQuAD paragraphs as a corpus ---------------------------------------------------------------
@dataclass(frozen=True)
class SquadSample:
    """The paragraphs written as files and the questions asked of them."""

    paragraphs: int
    questions: list[str]


def write_squad_corpus(path: Path, folder: Path, sample: int | None, seed: int = 0) -> SquadSample:
    """One text file per SQuAD paragraph (its article's title as a heading, then the paragraph);
    with `sample`, that many paragraphs drawn evenly at random (fixed seed)."""
    chosen = paragraphs(load_squad(path))
    if sample is not None and sample < len(chosen):
        chosen = sorted(random.Random(seed).sample(chosen, sample), key=lambda p: (p.article, p.number))
    write_paragraphs(chosen, folder)
    return SquadSample(len(chosen), [qa["question"] for paragraph in chosen for qa in paragraph.qas])


def seed_questions() -> list[str]:
    """The bundled corpus's eval questions (only their text)."""
    return [json.loads(line)["question"] for line in SEED_QUESTIONS.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def torch_rate(texts: list[str], encoder, batch_size: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Chunks/s (wall and CPU) of the PyTorch encoder and the float32 and int8 ONNX graphs, in turn
    on the same sample of `texts`, and each graph's least cosine to PyTorch; `encoder`'s own rate."""
    from config.backends import cpu_has_int8_dot_product
    from index.embedding import Encoder
    from index.export import TorchEncoder

    sample = random.Random(2).sample(texts, min(TORCH_SAMPLE, len(texts)))
    rates: dict[str, dict[str, float]] = {}
    vectors = {}
    torch = TorchEncoder(encoder.model_name)
    runs = [(torch, TORCH_BATCH, "torch")]
    if batch_size != TORCH_BATCH:
        runs.append((torch, batch_size, f"torch, batch {batch_size}"))
    runs += [(Encoder(backend="onnx-fp32"), batch_size, "onnx-fp32"),
             (Encoder(backend="onnx-int8"), batch_size, "onnx-int8")]
    for candidate, batch, name in runs:
        candidate.encode(["warm up"])
        cpu = time.process_time()
        seconds, vectors[name] = timed(lambda c=candidate, b=batch: c.encode(sample, batch_size=b))
        rates[name] = {"chunks_per_s": round(len(sample) / seconds, 1),
                       "chunks_per_cpu_s": round(len(sample) / (time.process_time() - cpu), 1), "batch": batch}
    cosine = {name: round(float((vectors[name] * vectors["torch"]).sum(axis=1).min()), 4)  # type: ignore[operator]
              for name in ("onnx-fp32", "onnx-int8")}
    ours = rates.get(encoder.backend, rates["onnx-fp32"])
    return {"chunks": len(sample), "vnni": cpu_has_int8_dot_product(), "rates": rates, "min_cosine_to_torch": cosine,
            "torch_chunks_per_s": rates["torch"]["chunks_per_s"],
            "torch_chunks_per_cpu_s": rates["torch"]["chunks_per_cpu_s"],
            "torch_best_chunks_per_s": max(r["chunks_per_s"] for n, r in rates.items() if n.startswith("torch")),
            "torch_best_chunks_per_cpu_s": max(r["chunks_per_cpu_s"] for n, r in rates.items()
                                               if n.startswith("torch")),
            "ours_chunks_per_s": ours["chunks_per_s"], "ours_chunks_per_cpu_s": ours["chunks_per_cpu_s"]}


# ---- the benchmark ------------------------------------------------------------------------------------
def benchmark(sample: int | None, questions: int, squad_file: Path = SQUAD_FILE) -> dict[str, object]:
    """Run every measurement; the figures as one JSON-ready dictionary."""
    from index.documents.read import read_document
    from index.embedding import Encoder
    from index.ingest import chunk_document, embedding_text, ingest
    from qa.engine import Assistant

    with tempfile.TemporaryDirectory(prefix="qa-speed-") as scratch:
        root = Path(scratch)
        corpus = root / "squad"
        squad = write_squad_corpus(squad_file, corpus, sample)
        base = load_settings()
        settings = base.replace(index=str(root / "squad-index"))
        encoder = Encoder.from_settings(settings)
        log(f"loading the model ({encoder.identity})")
        model_load, _ = timed(lambda: encoder.encode(["warm up"]))

        log(f"chunking {squad.paragraphs:,} paragraphs")
        files = sorted(corpus.iterdir())
        max_bytes = int(settings.max_file_mb * 1e6)
        chunking, chunks = timed(
            lambda: [embedding_text(r) for f in files
                     for r in chunk_document(read_document(f, max_bytes), settings, encoder)]
        )
        texts: list[str] = chunks  # type: ignore[assignment]
        # the same texts ingest encodes (each chunk after its document's title)
        log(f"encoding {len(texts):,} chunks with the encoder alone (batch {settings.batch_size})")
        cpu = time.process_time()
        encoding, _ = timed(lambda: encoder.encode(texts, batch_size=settings.batch_size))
        encoding_cpu = time.process_time() - cpu
        log(f"encoding {min(TORCH_SAMPLE, len(texts))} of them with PyTorch and with ours, in turn")
        versus = torch_rate(texts, encoder, settings.batch_size)
        log(f"ingesting the {squad.paragraphs:,} paragraph files through index.ingest.ingest")
        cpu = time.process_time()
        first = ingest([corpus], settings, encoder)
        ingest_cpu = time.process_time() - cpu
        log("re-ingesting the unchanged corpus")
        again = ingest([corpus], settings, encoder)
        command = run_command(["ingest", "--index", settings.index, str(corpus)])

        seed = base.replace(index=str(root / "seed-index"))
        ingest([SEED_CORPUS], seed, encoder)
        log("asking the bundled corpus's eval questions, warm")
        seed_latency = latency(Assistant.open(seed, encoder=encoder), seed_questions())
        asked = sorted(random.Random(1).sample(squad.questions, min(questions, len(squad.questions))))
        log(f"asking {len(asked)} SQuAD questions, warm")
        squad_latency = latency(Assistant.open(settings, encoder=encoder), asked)

        log("timing `qa ask` from a cold start")
        cold_seed = run_command(["ask", "--index", seed.index, "when did the talks take place?"])
        cold_squad = run_command(["ask", "--index", settings.index, asked[0]])
        log("timing cold `qa ask` and the app against `import chromadb`")
        start_up = start_up_ratios(seed.index)

    ingest_rate = first.chunks_embedded / first.seconds if first.seconds else 0.0
    encode_rate = len(texts) / encoding if encoding else 0.0
    return {
        "when": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": _machine(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "settings": {"model": settings.model, "encoder": encoder.identity, "chunk_tokens": settings.chunk_tokens,
                     "batch_size": settings.batch_size},
        "squad": {"paragraphs": squad.paragraphs, "chunks": len(texts), "chunks_ingested": first.chunks_embedded},
        "model_load_s": round(model_load, 2),
        "chunking_s": round(chunking, 2),
        "encoder": {"seconds": round(encoding, 2), "cpu_s": round(encoding_cpu, 2),
                    "chunks_per_s": round(encode_rate, 1)},
        "ingest": {"seconds": round(first.seconds, 2), "cpu_s": round(ingest_cpu, 2),
                   "chunks_per_s": round(ingest_rate, 1)},
        "ingest_vs_encoder": round(ingest_rate / encode_rate, 3) if encode_rate else 0.0,
        # CPU seconds are less sensitive than wall time to other work on a shared machine.
        "ingest_vs_encoder_cpu": round(encoding_cpu / ingest_cpu, 3) if ingest_cpu else 0.0,
        "torch": versus,
        "ingest_vs_torch": round(ingest_rate / versus["torch_chunks_per_s"], 2),
        "ingest_vs_torch_best": round(ingest_rate / versus["torch_best_chunks_per_s"], 2),
        "ingest_vs_torch_cpu": round(first.chunks_embedded / ingest_cpu / versus["torch_chunks_per_cpu_s"], 2)
        if ingest_cpu else 0.0,
        "start_up": start_up,
        "reingest_s": round(again.seconds, 3),
        "reingest_command": command,
        "latency": {"seed": seed_latency, "squad": squad_latency},
        "cold_ask": {"seed": cold_seed, "squad": cold_squad},
        "peak_mb": peak_mb(),
    }


def _machine() -> str:
    from evals.report import machine

    return machine()


def _goal(name: str, value: float) -> str:
    sign, target = GOALS[name]
    met = value >= target if sign == "≥" else value < target if sign == "<" else value <= target
    return f"goal {sign} {target:g}: {'met' if met else 'MISSED'}"


def table(figures: dict) -> str:  # type: ignore[type-arg]
    """The figures as a table for people."""
    squad, seed_l, squad_l = figures["squad"], figures["latency"]["seed"], figures["latency"]["squad"]
    torch, start = figures["torch"], figures["start_up"]
    cold_seed, cold_squad, command = figures["cold_ask"]["seed"], figures["cold_ask"]["squad"], \
        figures["reingest_command"]
    rows = [
        ("SQuAD corpus", f"{squad['paragraphs']:,} paragraphs, {squad['chunks']:,} chunks", ""),
        ("model load", f"{figures['model_load_s']:.1f} s", ""),
        ("chunking (token counting)", f"{figures['chunking_s']:.1f} s", ""),
        ("encoder alone", f"{figures['encoder']['chunks_per_s']:.1f} chunks/s "
         f"({figures['encoder']['seconds']:.1f} s)", f"{figures['encoder']['cpu_s']:.1f} s CPU"),
        ("ingest (index.ingest)", f"{figures['ingest']['chunks_per_s']:.1f} chunks/s "
         f"({figures['ingest']['seconds']:.1f} s)", f"{figures['ingest']['cpu_s']:.1f} s CPU"),
        ("ingest / encoder", f"{figures['ingest_vs_encoder']:.3f}", _goal("ingest_vs_encoder",
                                                                           figures["ingest_vs_encoder"])),
        ("ingest / encoder, by CPU time", f"{figures['ingest_vs_encoder_cpu']:.3f}",
         "the same ratio, less sensitive to other load"),
        ("re-ingest unchanged (in process)", f"{figures['reingest_s']:.3f} s", _goal("reingest_s",
                                                                                      figures["reingest_s"])),
        ("`qa ingest` unchanged (whole command)", f"{command['total_s']:.2f} s", "includes start-up"),
        ("warm latency, bundled corpus", f"p50 {seed_l['p50_ms']:.0f} ms, p95 {seed_l['p95_ms']:.0f} ms "
         f"({seed_l['questions']} questions)", f"encode alone p50 {seed_l['encode_p50_ms']:.0f} ms"),
        ("warm latency, SQuAD", f"p50 {squad_l['p50_ms']:.0f} ms, p95 {squad_l['p95_ms']:.0f} ms "
         f"({squad_l['questions']} questions)",
         f"{_goal('squad_p50_ms', squad_l['p50_ms'])}; {_goal('squad_p95_ms', squad_l['p95_ms'])}"),
        ("SQuAD latency / encode alone (p50)", f"{squad_l['vs_encode']:.2f} ×"
         f" (encode p50 {squad_l['encode_p50_ms']:.0f} ms)", _goal("squad_vs_encode", squad_l["vs_encode"])),
        ("cold `qa ask`, bundled corpus", f"{cold_seed['first_output_s']:.2f} s to first answer",
         f"peak {cold_seed['peak_mb']:.0f} MB"),
        ("cold `qa ask`, SQuAD", f"{cold_squad['first_output_s']:.2f} s to first answer",
         f"peak {cold_squad['peak_mb']:.0f} MB"),
        ("PyTorch encoder (sample)", f"{torch['torch_chunks_per_s']:.1f} chunks/s "
         f"({torch['chunks']} chunks, batch {TORCH_BATCH})",
         f"ours on the same: {torch['ours_chunks_per_s']:.1f} chunks/s"),
        ("ingest / PyTorch encoder", f"{figures['ingest_vs_torch']:.2f} ×",
         _goal("ingest_vs_torch", figures["ingest_vs_torch"])),
        ("ingest / PyTorch at its faster batch", f"{figures.get('ingest_vs_torch_best', 0.0):.2f} ×",
         f"PyTorch {torch.get('torch_best_chunks_per_s', 0.0):.1f} chunks/s"),
        ("ingest / PyTorch encoder, by CPU time", f"{figures['ingest_vs_torch_cpu']:.2f} ×",
         f"PyTorch {torch['torch_chunks_per_cpu_s']:.1f}, ours {torch['ours_chunks_per_cpu_s']:.1f} chunks per CPU s"),
        *((f"encoder {name} (sample)", f"{rate['chunks_per_s']:.1f} chunks/s, {rate['chunks_per_cpu_s']:.1f} per CPU s",
           f"min cosine to PyTorch {torch['min_cosine_to_torch'][name]:.4f}" if not name.startswith("torch") else
           f"VNNI: {'yes' if torch['vnni'] else 'no'}") for name, rate in torch["rates"].items()),
        ("`python -c 'import chromadb'`", f"{start['import_chromadb_s']:.2f} s", "median of 3, in turn with:"),
        ("cold `qa ask` / that import", f"{start['ask_vs_import']:.2f} × ({start['ask_s']:.2f} s)",
         _goal("ask_vs_import", start["ask_vs_import"])),
        ("app start to ready / that import", f"{start['app_vs_import']:.2f} × ({start['app_ready_s']:.2f} s)",
         _goal("app_vs_import", start["app_vs_import"])),
        ("peak memory, this benchmark", f"{figures['peak_mb']:.0f} MB", ""),
    ]
    width = max(len(r[0]) for r in rows)
    middle = max(len(r[1]) for r in rows)
    load = ", ".join(f"{x:.1f}" for x in figures["load_average"])
    lines = [f"qa bench speed: {figures['when']}, {figures['machine']}; encoder {figures['settings']['encoder']}; "
             f"load average at the end {load}", ""]
    lines.extend(f"{name:<{width}}  {value:<{middle}}  {note}".rstrip() for name, value, note in rows)
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """`qa bench speed` alone, with its options."""
    parser = argparse.ArgumentParser(
        prog="qa bench speed",
        description="Time ingesting (SQuAD paragraphs, beside the encoder alone), re-ingesting, warm and cold "
                    "answering, and peak memory.",
    )
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `qa bench speed`."""
    parser.add_argument("--sample", type=int, metavar="N",
                        help="use N SQuAD paragraphs, drawn at random with a fixed seed (default: all 2,067)")
    parser.add_argument("--questions", type=int, default=200, metavar="N",
                        help="SQuAD questions for the warm latency (default 200)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--squad", metavar="PATH", help=f"the SQuAD v1.1 dev file (default: {SQUAD_FILE})")


def main(argv: list[str] | None = None) -> int:
    """`qa bench speed ARGS...` alone: `python -m evals.speed ARGS...`."""
    args = build_parser().parse_args(argv)
    args.given = list(sys.argv[1:] if argv is None else argv)
    return command(args)


def command(args: argparse.Namespace) -> int:
    """`qa bench speed` with its parsed options; the exit status."""
    for name in ("sample", "questions"):
        value = getattr(args, name)
        if value is not None and value < 1:
            print(f"qa bench speed: --{name} {value}: give a number of 1 or more", file=sys.stderr)
            return 2

    def report() -> int:
        figures = benchmark(args.sample, args.questions, Path(args.squad) if args.squad else SQUAD_FILE)
        print(json.dumps(figures, indent=2) if args.json else table(figures))
        return 0

    return guarded("qa bench speed", report)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
