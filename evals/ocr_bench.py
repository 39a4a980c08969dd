"""`qa bench ocr`: scanned PDFs read by OCR at ingest: pages a second and peak memory on a long scan,
and answers from scanned copies of the corpus against their text originals.

    qa bench ocr [--pages N] [--dpi D] [--compare] [--out PATH]

The documents are the five articles of `corpus/` printed to PDF by reportlab (as `qa bench formats`
makes them); a scanned copy of a PDF is its pages rendered by PDFium to grey images at `--dpi` and
saved by Pillow as a PDF with no text layer. Speed: a scan of `--pages` pages, read in a fresh
process (wall and CPU seconds, Tesseract's own processes included; peak memory of that process, and
of Tesseract reading one page). Quality: the answerable questions of `evals/questions.jsonl` asked of the
text PDFs and of their scans (answer in the first passage, in the top 3). `--compare` reads three
articles' scans with pytesseract (Tesseract's default threads, and one thread as the ingest runs it)
and with ocrmypdf's library (when installed: pip install ocrmypdf==17.13.0): seconds and the share
of the original's words recovered in order.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from config.settings import PROJECT_ROOT
from evals.formats import articles, corpus_questions, quality, write_pdf


def log(message: str) -> None:
    """A progress line on standard error."""
    print(f"ocr: {message}", file=sys.stderr, flush=True)


DEFAULT_OUT = PROJECT_ROOT / ".qa" / "bench" / "ocr.json"

READ_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from index.documents.read import read_document
from index.documents.formats.ocr import PageReader
reader = PageReader()
began, cpu = time.perf_counter(), time.process_time()
document = read_document(Path(sys.argv[1]), 10**9, reader)
wall = time.perf_counter() - began
children = resource.getrusage(resource.RUSAGE_CHILDREN)
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"wall_s": wall, "cpu_s": time.process_time() - cpu + children.ru_utime + children.ru_stime,
                  "pages": reader.pages, "chars": len(document.text), "peak_mb": int(peak) / 1024,
                  "engine": reader.engine()}))
"""
# Tesseract's own peak, started from a small Python: a child's peak counts its parent's memory at the fork
TESSERACT_SCRIPT = """
import resource, subprocess, sys
subprocess.run(["tesseract", sys.argv[1], "stdout", "-l", "eng"], capture_output=True, check=True,
               env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin:/usr/local/bin"})
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def scan_copy(source: Path, target: Path, dpi: int, pages: int | None = None) -> int:
    """`source`'s pages rendered to grey images and saved as a PDF with no text layer; the page count."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(source))
    count = min(len(document), pages or len(document))
    images = [document[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(count)]
    document.close()
    images[0].save(target, "PDF", resolution=float(dpi), save_all=True, append_images=images[1:])
    return count


def page_count(path: Path) -> int:
    """The pages of a PDF."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


def read_in_child(path: Path, environment: dict[str, str] | None = None) -> dict[str, float]:
    """Read a scan by OCR in a fresh Python: seconds, CPU seconds, pages, peak memory."""
    done = subprocess.run([sys.executable, "-c", READ_SCRIPT, str(path)], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **(environment or {})},
                          check=False)
    if done.returncode:
        raise SystemExit(f"qa bench ocr: reading {path.name} failed: {done.stderr.strip()[-300:]}")
    return json.loads(done.stdout)


def tesseract_peak(scan: Path, image: Path) -> float:
    """The peak memory (MB) of Tesseract reading the first page of `scan`, rendered as the ingest renders it."""
    import pypdfium2 as pdfium

    from index.documents.formats.ocr import resolution

    document = pdfium.PdfDocument(str(scan))
    page = document[0]
    page.render(scale=resolution(page) / 72, grayscale=True).to_pil().save(image)
    document.close()
    done = subprocess.run([sys.executable, "-c", TESSERACT_SCRIPT, str(image)], capture_output=True, text=True,
                          check=True)
    return float(done.stdout)


def recovered(got: str, want: str) -> float:
    """The share of `want`'s words that `got` holds in the same order (case aside)."""
    wanted, found = want.lower().split(), got.lower().split()
    matcher = difflib.SequenceMatcher(None, wanted, found, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / max(1, len(wanted))


def compare(pairs: list[tuple[Path, Path]]) -> dict[str, dict[str, float]]:
    """pytesseract (default threads, one thread) and ocrmypdf's library on the same scans."""
    import resource
    import time

    import pypdfium2 as pdfium

    def text_of(pdf: Path) -> str:
        document = pdfium.PdfDocument(str(pdf))
        return " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))

    def with_pytesseract(scan: Path) -> str:
        import pytesseract

        from index.documents.formats.ocr import resolution

        document = pdfium.PdfDocument(str(scan))
        pages = [document[i] for i in range(len(document))]
        return " ".join(pytesseract.image_to_string(page.render(scale=resolution(page) / 72, grayscale=True).to_pil(),
                                                    lang="eng") for page in pages)

    def with_ocrmypdf(scan: Path) -> str:
        import ocrmypdf

        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "out.pdf"
            ocrmypdf.ocr(scan, out, output_type="pdf", rasterizer="pypdfium", progress_bar=False, optimize=0, jobs=1)
            return text_of(out)

    def cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    engines = [("pytesseract, Tesseract's default threads", with_pytesseract, None),
               ("pytesseract, one thread (as qa ingest)", with_pytesseract, "1")]
    try:
        import ocrmypdf  # noqa: F401

        engines.append(("ocrmypdf library (its default: one thread a page)", with_ocrmypdf, None))
    except ImportError:
        log("ocrmypdf is not installed (pip install ocrmypdf==17.13.0): compared without it")
    figures: dict[str, dict[str, float]] = {}
    for name, read, threads in engines:
        before = os.environ.pop("OMP_THREAD_LIMIT", None)
        if threads:
            os.environ["OMP_THREAD_LIMIT"] = threads
        began, spent = time.perf_counter(), cpu()
        shares = [recovered(read(scan), text_of(original)) for original, scan in pairs]
        figures[name] = {"pages": len(pairs), "wall_s": round(time.perf_counter() - began, 1),
                         "cpu_s": round(cpu() - spent, 1), "words_recovered": round(sum(shares) / len(shares), 4)}
        os.environ.pop("OMP_THREAD_LIMIT", None)
        if before is not None:
            os.environ["OMP_THREAD_LIMIT"] = before
    return figures


def benchmark(pages: int, dpi: int, with_comparison: bool, given: list[str]) -> dict[str, object]:
    """Every figure of the benchmark, as one JSON-ready dictionary."""
    from evals.report import machine
    from index.documents.formats import library_version
    from index.documents.formats.ocr import PageReader
    from index.embedding import Encoder

    with tempfile.TemporaryDirectory(prefix="qa-ocr-") as tmp:
        root = Path(tmp)
        text, scans = root / "text", root / "scans"
        text.mkdir(), scans.mkdir()
        found = articles()
        for stem, title, paragraphs in found:
            write_pdf(text / f"{stem}.pdf", title, paragraphs)
            scan_copy(text / f"{stem}.pdf", scans / f"{stem}.pdf", dpi)
        long_text = root / "long.pdf"
        paragraphs = [p for _, _, ps in found for p in ps]
        write_pdf(long_text, "A long report", paragraphs, repeat=max(1, math.ceil(pages / 3)))
        long_scan = root / "long-scan.pdf"
        count = scan_copy(long_text, long_scan, dpi, pages)
        log(f"reading a {count}-page scan by OCR in a fresh process")
        speed = read_in_child(long_scan)
        speed["tesseract_peak_mb"] = tesseract_peak(long_scan, root / "page.png")
        speed["pages_per_s"] = speed["pages"] / speed["wall_s"]
        speed["cpu_s_per_page"] = speed["cpu_s"] / speed["pages"]
        questions = corpus_questions()
        encoder = Encoder()
        results = {}
        for name, folder in (("text PDFs", text), ("scanned copies", scans)):
            log(f"asking {len(questions)} questions of the {name}")
            results[name] = quality(folder, questions, root / f"index-{name.split()[0]}", encoder)
        comparison = compare([(text / f"{stem}.pdf", scans / f"{stem}.pdf") for stem, _, _ in found[:3]]) \
            if with_comparison else {}
        pages_of_articles = sum(page_count(scans / f"{stem}.pdf") for stem, _, _ in found)
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
            "versions": {"engine": PageReader().engine(), "pytesseract": library_version("pytesseract"),
                         "pypdfium2": library_version("pypdfium2"), "pillow": library_version("pillow")},
            "command": "qa bench ocr " + " ".join(given), "dpi": dpi, "speed": speed,
            "article_pages": pages_of_articles, "quality": results, "comparison": comparison}


def table(figures: dict) -> str:  # type: ignore[type-arg]
    """The figures as a person reads them."""
    speed = figures["speed"]
    out = [f"qa bench ocr — {figures['date']} — {figures['machine']}",
           "versions: " + ", ".join(f"{k} {v}" for k, v in figures["versions"].items()), "",
           f"Speed: a {speed['pages']}-page scan at {figures['dpi']} dpi read by OCR in a fresh process",
           f"  {speed['pages_per_s']:.2f} pages/s ({speed['wall_s']:.1f} s wall, {speed['cpu_s']:.1f} s CPU, "
           f"{speed['cpu_s_per_page']:.2f} s CPU a page); peak memory {speed['peak_mb']:.0f} MB "
           f"(Tesseract reading a page: {speed['tesseract_peak_mb']:.0f} MB)", "",
           f"Quality: the corpus questions of the five articles as text PDFs and as scanned copies "
           f"({figures['article_pages']} pages)",
           f"{'set':<16} {'answer in 1st':>14} {'in top 3':>9}"]
    for name, row in figures["quality"].items():
        out.append(f"{name:<16} {row['first']:>7}/{row['questions']:<6} {row['top3']:>4}/{row['questions']:<4}")
    if figures["comparison"]:
        out += ["", "Engines on three articles' scans (one page each)",
                f"{'engine':<52} {'wall s':>7} {'CPU s':>6} {'words recovered':>16}"]
        for name, row in figures["comparison"].items():
            out.append(f"{name:<52} {row['wall_s']:>7} {row['cpu_s']:>6} {row['words_recovered']:>16.2%}")
    return "\n".join(out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `qa bench ocr`."""
    parser.add_argument("--pages", type=int, default=50, help="pages of the long scan (default 50)")
    parser.add_argument("--dpi", type=int, default=300, help="resolution of the scans (default 300)")
    parser.add_argument("--compare", action="store_true", help="compare pytesseract with ocrmypdf's library")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON written here (default {DEFAULT_OUT})")


def command(args: argparse.Namespace) -> int:
    """Run the command with its parsed arguments; the exit status."""
    figures = benchmark(args.pages, args.dpi, args.compare, args.given)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(table(figures))
    log(f"figures written to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`qa bench ocr ARGS...` alone: `python -m evals.ocr_bench ARGS...`."""
    parser = argparse.ArgumentParser(prog="qa bench ocr", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.given = list(sys.argv[1:] if argv is None else argv)
    return command(args)
