"""`qa bench manuals`: documentation as it is shipped (web pages, PDFs, Word files), read whole.

    qa bench manuals FOLDER [--questions FILE] [--clean FOLDER] [--out PATH] [--json]

Per format: the share of each file's own words its extracted text keeps (median and worst file, and
how many files a fuller reading replaced the main text of), pages and MB per CPU second of extraction.
The ingest's CPU seconds per chunk against the encoder's alone on the same chunk texts. With
`--questions` (JSON lines: "question" and "answers", any of which in a passage counts), each question
is asked of FOLDER and, with `--clean`, of the same documents as clean text: the answer in the first
passage and in the top 3. The questions are written before asking, from reading the documents.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from config.settings import PROJECT_ROOT, Settings

DEFAULT_OUT = PROJECT_ROOT / ".qa" / "bench" / "manuals.json"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def extraction(folder: Path) -> dict[str, dict[str, object]]:
    """Per format: files, pages, MB, CPU seconds, the kept share of each file, how many were read whole."""
    from config.errors import UnreadableFile
    from index.documents.read import find_files, read_document

    found: dict[str, dict[str, object]] = {}
    for path in find_files([folder], Settings().extensions):
        if isinstance(path, UnreadableFile):
            continue
        began = time.process_time()
        try:
            document = read_document(path, 10**9)
        except UnreadableFile as problem:
            log(f"skipped {problem}")
            continue
        seconds = time.process_time() - began
        name = document.extractor.split("/")[0]
        row = found.setdefault(name, {"files": 0, "pages": 0, "mb": 0.0, "cpu_s": 0.0, "kept": [], "fuller": 0})
        row["files"] = int(row["files"]) + 1  # type: ignore[call-overload]
        row["pages"] = int(row["pages"]) + max(1, len(document.extracted.pages))  # type: ignore[call-overload]
        row["mb"] = float(row["mb"]) + path.stat().st_size / 1e6  # type: ignore[arg-type]
        row["cpu_s"] = float(row["cpu_s"]) + seconds  # type: ignore[arg-type]
        if document.extracted.kept is not None:
            row["kept"].append((round(document.extracted.kept, 4), path.name))  # type: ignore[union-attr]
        row["fuller"] = int(row["fuller"]) + bool(document.extracted.how)  # type: ignore[call-overload]
    for row in found.values():
        kept = sorted(row.pop("kept"))  # type: ignore[call-overload]
        row["kept_median"] = statistics.median(k for k, _ in kept) if kept else None
        row["kept_worst"] = list(kept[0]) if kept else None
        row["below_90"] = sum(k < 0.9 for k, _ in kept)
        row["unmeasured"] = int(row["files"]) - len(kept)  # type: ignore[call-overload]
        row["pages_per_cpu_s"] = round(int(row["pages"]) / max(float(row["cpu_s"]), 1e-9), 1)  # type: ignore[call-overload]
        row["mb_per_cpu_s"] = round(float(row["mb"]) / max(float(row["cpu_s"]), 1e-9), 2)  # type: ignore[arg-type]
    return found


def ingest_cost(folder: Path, index: Path) -> dict[str, float]:
    """CPU seconds per chunk of a whole ingest of `folder`, and of the encoder alone on its chunk texts."""
    from index.embedding import Encoder
    from index.ingest import embedding_text, ingest
    from index.store import Store

    settings = Settings(index=str(index))
    encoder = Encoder.from_settings(settings)
    encoder.encode(["warm up the encoder"])
    began, wall = time.process_time(), time.perf_counter()
    report = ingest([folder], settings, encoder)
    ingest_cpu, ingest_wall = time.process_time() - began, time.perf_counter() - wall
    # the encoder as the ingest runs it: each chunk's vector and its sentences' (`encode_with_parts`)
    records = sorted(Store(settings).all_chunks(), key=lambda record: len(record.text))
    texts = [embedding_text(record) for record in records]
    shifts = [len(text) - len(record.text) for record, text in zip(records, texts, strict=True)]
    ranges = [[(a + shift, b + shift) for a, b in record.sentences()]
              for record, shift in zip(records, shifts, strict=True)]
    began = time.process_time()
    for first in range(0, len(texts), 256):
        part = slice(first, first + 256)
        encoder.encode_with_parts(texts[part], ranges[part], batch_size=settings.batch_size)
    encoder_cpu = time.process_time() - began
    chunks = max(1, report.chunks_embedded)
    return {"chunks": report.chunks_embedded, "ingest_cpu_s": round(ingest_cpu, 2),
            "ingest_wall_s": round(ingest_wall, 2),
            "encoder_cpu_s": round(encoder_cpu, 2), "ingest_ms_per_chunk": round(1000 * ingest_cpu / chunks, 2),
            "encoder_ms_per_chunk": round(1000 * encoder_cpu / chunks, 2),
            "ratio": round(ingest_cpu / max(encoder_cpu, 1e-9), 2), "encoder": encoder.backend}


def ask_all(index: Path, questions: list[dict[str, object]]) -> dict[str, object]:
    """Each question asked of the index: whether an answer stands in the first passage and in the top 3."""
    from qa.engine import Assistant

    assistant = Assistant.open(Settings(index=str(index)))
    rows = []
    for item in questions:
        answer = assistant.ask(str(item["question"]))
        texts = [" ".join(passage.text.split()) for passage in answer.passages[:3]]
        wanted = [" ".join(str(a).split()) for a in item["answers"]]  # type: ignore[attr-defined]
        hits = [any(w in text for w in wanted) for text in texts]
        rows.append({"question": item["question"], "first": bool(hits[:1] and hits[0]), "top3": any(hits),
                     "shown": texts[0][:160] if texts else "(abstained)"})
    return {"first": sum(r["first"] for r in rows), "top3": sum(r["top3"] for r in rows), "asked": len(rows),
            "questions": rows}


def benchmark(folder: Path, questions: Path | None, clean: Path | None) -> dict[str, object]:
    from index.documents.formats import library_version

    figures: dict[str, object] = {
        "command": "qa " + " ".join(sys.argv[1:]) if sys.argv[0].endswith("qa") else "qa bench manuals",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": f"{platform.machine()}, "
        f"{os.cpu_count()} CPUs", "python": platform.python_version(), "folder": str(folder),
        "versions": {name: library_version(name) for name in ("trafilatura", "pypdfium2", "python-docx")},
    }
    log(f"extracting {folder}")
    figures["formats"] = extraction(folder)
    asked = [json.loads(line) for line in questions.read_text().splitlines() if line.strip()] if questions else []
    with tempfile.TemporaryDirectory() as scratch:
        log("ingesting (CPU per chunk against the encoder alone)")
        figures["ingest"] = ingest_cost(folder, Path(scratch) / "shipped")
        if asked:
            log(f"asking {len(asked)} questions of the documents as shipped")
            figures["shipped"] = ask_all(Path(scratch) / "shipped", asked)
        if asked and clean:
            from index.embedding import Encoder
            from index.ingest import ingest

            settings = Settings(index=str(Path(scratch) / "clean"))
            ingest([clean], settings, Encoder.from_settings(settings))
            log("asking them of the same documents as clean text")
            figures["clean"] = ask_all(Path(scratch) / "clean", asked)
    return figures


def table(figures: dict[str, object]) -> str:
    lines = [f"{figures['command']}  ·  {figures['date']}  ·  {figures['machine']}  ·  {figures['versions']}",
             f"{'format':8} {'files':>5} {'pages':>6} {'kept median':>11} {'kept worst':>26} {'<90%':>4} {'fuller':>6} "
             f"{'pages/CPU s':>11} {'MB/CPU s':>8}"]
    for name, row in figures["formats"].items():  # type: ignore[attr-defined]
        worst = f"{row['kept_worst'][0]:.1%} {row['kept_worst'][1][:18]}" if row["kept_worst"] else "-"
        median = f"{row['kept_median']:.1%}" if row["kept_median"] is not None else "-"
        lines.append(f"{name:8} {row['files']:>5} {row['pages']:>6} {median:>11} {worst:>26} {row['below_90']:>4} "
                     f"{row['fuller']:>6} "
                     f"{row['pages_per_cpu_s']:>11} {row['mb_per_cpu_s']:>8}")
    cost = figures["ingest"]
    lines.append(f"ingest: {cost['chunks']} chunks, {cost['ingest_ms_per_chunk']} ms CPU per chunk against "  # type: ignore[index]
                 f"{cost['encoder_ms_per_chunk']} for the encoder alone ({cost['encoder']}): {cost['ratio']}×")  # type: ignore[index]
    for name in ("shipped", "clean"):
        if name in figures:
            found = figures[name]
            lines.append(f"{name:8} answer in the first passage {found['first']}/{found['asked']}, "  # type: ignore[index]
                         f"in the top 3 {found['top3']}/{found['asked']}")  # type: ignore[index]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `qa bench manuals`."""
    parser.add_argument("folder", type=Path, help="a folder of documentation (web pages, PDFs, Word files)")
    parser.add_argument("--questions", type=Path, help="JSON lines of questions and their answers")
    parser.add_argument("--clean", type=Path, help="the same documents as clean text, to compare answers")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON written here (default {DEFAULT_OUT})")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def command(args: argparse.Namespace) -> int:
    """Run the command with its parsed arguments; the exit status."""
    for given in (args.folder, args.clean):
        if given is not None and not given.is_dir():
            print(f"qa bench manuals: {given}: no such folder (give a folder of documents)", file=sys.stderr)
            return 2
    figures = benchmark(args.folder, args.questions, args.clean)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2) if args.json else table(figures))
    log(f"figures written to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`qa bench manuals ARGS...` alone: `python -m evals.manuals ARGS...`."""
    parser = argparse.ArgumentParser(prog="qa bench manuals", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.given = list(sys.argv[1:] if argv is None else argv)
    return command(args)


if __name__ == "__main__":
    sys.exit(main())
