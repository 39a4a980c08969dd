"""`qa bench formats`: extraction speed and memory per format, and answers from the same documents
as clean text, as web pages, as PDFs and as Word files.

    qa bench formats [--pages N] [--repeat N] [--out PATH] [--json]

The documents are the five articles of `corpus/`: their prose (what the .txt pipeline reads)
written out as a saved web page (with a cookie bar, menu, sidebar, footer and scripts), printed
to PDF by reportlab (A4, running header and footer, paragraphs flowing across pages) and saved as
.docx by python-docx. The answerable questions of `evals/questions.jsonl` are asked of each set.
A self-written changelog, as Markdown and as the same text in a .txt file, keeps the case of an
answer that is only in a heading. Speed: a PDF of `--pages` pages made the same way, and the
other formats read `--repeat` times.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from config.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"
QUESTIONS = PROJECT_ROOT / "evals" / "questions.jsonl"
DEFAULT_OUT = PROJECT_ROOT / ".qa" / "bench" / "formats.json"
VARIANTS = ("clean", "html", "pdf", "docx", "txt")  # "txt": the corpus files themselves, page furniture and all

CHANGELOG = """# Tidewater release notes

Tidewater prints tide tables for the stations of the Atlantic coast.

## Tidewater 3.0 "Heron" (2021-03-08)

- Tide tables can be exported to calendar files.
- Dropped support for the old XML station list.

## Tidewater 2.4 "Plover" (2020-11-19)

- Added offline maps of the whole coast.

## Tidewater 2.3 "Curlew" (2020-06-02)

- Fixed wrong moon phases in the southern hemisphere.

## Tidewater 2.0 "Avocet" (2019-09-30)

- First release with the new station database.

## Tidewater 1.0 "Dunlin" (2018-04-12)

- First public release.
"""
CHANGELOG_QUESTIONS = [
    ("when was the Heron release of Tidewater published?", ["2021-03-08"]),
    ("which Tidewater release added offline maps?", ["Plover", "2.4"]),
    ("when did the Avocet release come out?", ["2019-09-30"]),
    ("when was the first public release of Tidewater?", ["2018-04-12"]),
    ("which release fixed the moon phases?", ["Curlew", "2.3"]),
    ("in which release was the XML station list dropped?", ["Heron", "3.0"]),
]

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | World Desk</title>
<script>window.analytics = []; function track(e) {{ analytics.push(e); }} track("page view");</script>
<style>.cookie {{ position: fixed; bottom: 0; }} nav li {{ display: inline; }}</style></head>
<body>
<div class="cookie"><p>We use cookies to measure our audience and to show you relevant offers.
By continuing to browse this site you agree to our use of cookies.</p><button>Accept</button></div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World news from every region</a></li>
<li><a href="/business">Business and markets coverage today</a></li><li><a href="/opinion">Opinion and
analysis from our columnists</a></li></ul></nav></header>
<main><article><h1>{title}</h1>
{paragraphs}
</article></main>
<aside class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Storm closes ports along the northern
coast for a second day</a></li><li><a href="/b">Central bank holds its interest rate steady for the
winter</a></li></ul><p>Get the day's headlines in your inbox every morning with our free newsletter.</p></aside>
<footer><p>Copyright 2024 World Desk Media. All rights reserved. Reproduction without permission is
prohibited.</p><p>Contact the newsroom at desk@worlddesk.example or call us any day of the week.</p></footer>
<script>document.querySelectorAll("a").forEach(function (a) {{ a.rel = "noopener"; }});</script>
</body></html>
"""


def log(message: str) -> None:
    print(f"formats: {message}", file=sys.stderr, flush=True)


def articles() -> list[tuple[str, str, list[str]]]:
    """(stem, title, paragraphs) of each corpus article: the prose the .txt pipeline reads."""
    from index.documents.chunking import document_title, prose_blocks
    from index.documents.read import read_document

    found = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = read_document(path, 10**8).text
        paragraphs = [" ".join(part.split()) for block in prose_blocks(text)
                      for part in text[block.start : block.end].split("\n\n") if part.strip()]
        found.append((path.stem, document_title(text, path.stem), paragraphs))
    return found


def write_html(path: Path, title: str, paragraphs: list[str]) -> None:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    path.write_text(PAGE.format(title=escape(title), paragraphs=body), encoding="utf-8")


def write_pdf(path: Path, title: str, paragraphs: list[str], repeat: int = 1) -> None:
    """Print paragraphs to an A4 PDF with reportlab: a running header (site and title) and footer
    (URL and "page n"), the text flowing from page to page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()

    def furniture(canvas, document) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(56, A4[1] - 36, f"World Desk · {title[:70]}")
        canvas.drawString(56, 28, "https://worlddesk.example/articles")
        canvas.drawRightString(A4[0] - 56, 28, f"page {document.page}")
        canvas.restoreState()

    story = [Paragraph(escape(title), styles["Title"])]
    for _ in range(repeat):
        story.extend(Paragraph(escape(p), styles["BodyText"]) for p in paragraphs)
    SimpleDocTemplate(str(path), pagesize=A4, title=title).build(story, onFirstPage=furniture, onLaterPages=furniture)


def write_scanned_looking_pdf(path: Path, pages: int, paragraphs: list[str]) -> None:
    """A PDF of `pages` pages, each a text paragraph above a photograph-sized JPEG of its own (a
    report with pictures: tens of MB on disk, little text)."""
    import random

    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    generator = random.Random(0)
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number in range(pages):
        picture = Image.frombytes("RGB", (260, 260), generator.randbytes(260 * 260 * 3))  # ~200 kB, incompressible
        pdf.setFont("Helvetica", 10)
        pdf.drawString(56, A4[1] - 60, paragraphs[number % len(paragraphs)][:90])
        pdf.drawImage(ImageReader(picture), 56, 200, width=420, height=420)
        pdf.drawRightString(A4[0] - 56, 28, f"{number + 1}/{pages}")
        pdf.showPage()
    pdf.save()


def write_docx(path: Path, title: str, paragraphs: list[str]) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, 0)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(path)


def build_sets(root: Path) -> dict[str, Path]:
    """One folder per variant of the same documents, and the changelog as .md and as .txt."""
    folders = {name: root / name for name in (*VARIANTS, "md", "md-as-txt")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    for stem, title, paragraphs in articles():
        (folders["txt"] / f"{stem}.txt").write_bytes((CORPUS / f"{stem}.txt").read_bytes())
        (folders["clean"] / f"{stem}.txt").write_text("\n\n".join([title, *paragraphs]) + "\n", encoding="utf-8")
        write_html(folders["html"] / f"{stem}.html", title, paragraphs)
        write_pdf(folders["pdf"] / f"{stem}.pdf", title, paragraphs)
        write_docx(folders["docx"] / f"{stem}.docx", title, paragraphs)
    (folders["md"] / "tidewater-releases.md").write_text(CHANGELOG, encoding="utf-8")
    (folders["md-as-txt"] / "tidewater-releases.txt").write_text(CHANGELOG.replace("#", "").replace("\n ", "\n"),
                                                                 encoding="utf-8")
    return folders


def corpus_questions() -> list[tuple[str, list[str]]]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row["question"], row["answers"]) for row in rows if row.get("answers")]


def quality(folder: Path, questions: list[tuple[str, list[str]]], index: Path, encoder,  # type: ignore[no-untyped-def]
            with_titles: bool = False) -> dict[str, object]:
    """Ingest one folder and ask every question: answer in the first passage, in the top 3."""
    from evals.metrics import holds_answer
    from index.ingest import ingest
    from qa.engine import Assistant

    settings = Settings(index=str(index))
    began = time.perf_counter()
    report = ingest([folder], settings, encoder)
    seconds = time.perf_counter() - began
    assistant = Assistant.open(settings, encoder)
    first = top3 = 0
    missed: list[str] = []
    for question, answers in questions:
        answer = assistant.ask(question, top_k=3)
        texts = [(p.title + "\n" if with_titles else "") + p.text for p in answer.passages]
        hits = [holds_answer(text, answers) for text in texts]
        first += bool(hits[:1] and hits[0])
        top3 += any(hits)
        if not (hits[:1] and hits[0]):
            missed.append(question)
    return {"questions": len(questions), "first": first, "top3": top3, "files": len(report.added),
            "skipped": len(report.skipped), "chunks": report.chunks_total, "ingest_s": round(seconds, 2),
            "missed_first": missed}


EXTRACT_SCRIPT = """
import json, sys, time
from pathlib import Path
from index.documents.read import read_document
paths = [Path(p) for p in sys.argv[1:]]
began = time.perf_counter()
pages = chars = 0
for path in paths:
    document = read_document(path, 10**9)
    pages += max(1, len(document.extracted.pages))
    chars += len(document.text)
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"seconds": time.perf_counter() - began, "pages": pages, "chars": chars, "peak_mb": int(peak) / 1024}))
"""


def extract_in_child(paths: list[Path]) -> dict[str, float]:
    """Extract `paths` in a fresh Python: seconds, pages, characters and the child's peak memory (MB)."""
    done = subprocess.run([sys.executable, "-c", EXTRACT_SCRIPT, *map(str, paths)], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, check=False)
    if done.returncode:
        raise RuntimeError(f"extraction of {paths[0]} failed: {done.stderr.strip().splitlines()[-1:]}")
    found = json.loads(done.stdout)
    found["peak_mb"] = round(found["peak_mb"], 1)  # the child's own high-water mark (VmHWM)
    return found


def speed(folders: dict[str, Path], root: Path, pages: int, repeat: int) -> dict[str, dict[str, float]]:
    """Extraction throughput per format (a file is one page for formats without pages), the peak
    memory of extracting the largest file, and the memory of importing the extractors alone."""
    big = root / "long-report.pdf"
    paragraphs = [p for _, _, ps in articles() for p in ps]
    per_copy = 3.5  # pages of one copy of every article, about
    write_pdf(big, "A long report", paragraphs, repeat=max(1, math.ceil(pages / per_copy)))
    figures: dict[str, dict[str, float]] = {}
    baseline = extract_in_child([folders["txt"] / next(iter(sorted(os.listdir(folders["txt"]))))])
    figures["baseline"] = {"peak_mb": baseline["peak_mb"]}
    pictures = root / "pictures.pdf"
    write_scanned_looking_pdf(pictures, 200, paragraphs)
    sets = [(name, sorted(folders[name].iterdir()) * repeat) for name in ("pdf", "html", "docx", "clean")]
    for name, paths in [("pdf (long)", [big]), ("pdf (photos)", [pictures]), *sets]:
        measured = extract_in_child(paths)
        size = sum(path.stat().st_size for path in paths) / 1e6
        figures[name] = {"files": len(paths), "pages": measured["pages"], "mb_on_disk": round(size, 2),
                         "seconds": round(measured["seconds"], 3),
                         "pages_per_s": round(measured["pages"] / measured["seconds"], 1),
                         "mb_per_s": round(size / measured["seconds"], 2), "peak_mb": measured["peak_mb"],
                         "text_mb": round(measured["chars"] / 1e6, 2)}
    return figures


def versions() -> dict[str, str]:
    from index.documents.formats import library_version

    return {name: library_version(name) for name in ("trafilatura", "pypdfium2", "python-docx", "reportlab",
                                                      "chromadb", "sentence-transformers")}


def benchmark(pages: int, repeat: int, given: list[str]) -> dict[str, object]:
    """Every figure of the benchmark, as one JSON-ready dictionary."""
    from evals.report import machine
    from index.embedding import Encoder

    encoder = Encoder()
    with tempfile.TemporaryDirectory(prefix="qa-formats-") as tmp:
        root = Path(tmp)
        log("writing the document sets (HTML, PDF by reportlab, DOCX by python-docx)")
        folders = build_sets(root)
        questions = corpus_questions()
        results: dict[str, object] = {}
        for name in VARIANTS:
            log(f"asking {len(questions)} questions of the {name} set")
            results[name] = quality(folders[name], questions, root / f"index-{name}", encoder)
        for name in ("md", "md-as-txt"):
            results[name] = quality(folders[name], CHANGELOG_QUESTIONS, root / f"index-{name}", encoder,
                                    with_titles=True)
        log("ingesting all sets as one mixed folder")
        mixed = root / "mixed"
        mixed.mkdir()
        for name in (*VARIANTS, "md"):
            for path in folders[name].iterdir():
                (mixed / path.name).write_bytes(path.read_bytes())
        from index.ingest import ingest

        began = time.perf_counter()
        report = ingest([mixed], Settings(index=str(root / "index-mixed")), encoder)
        mixed_figures = {"files": len(report.added), "chunks": report.chunks_total,
                         "seconds": round(time.perf_counter() - began, 2)}
        log(f"extraction speed (a {pages}-page PDF; each other set read {repeat} times)")
        speeds = speed(folders, root, pages, repeat)
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(), "versions": versions(),
            "command": "qa bench formats " + " ".join(given), "quality": results, "mixed_ingest": mixed_figures,
            "extraction": speeds}


def table(figures: dict) -> str:  # type: ignore[type-arg]
    """The figures as a person reads them."""
    out = [f"qa bench formats — {figures['date']} — {figures['machine']}",
           "versions: " + ", ".join(f"{k} {v}" for k, v in figures["versions"].items()), "",
           "Quality: the corpus questions of the same five articles in each format ('clean': their prose as",
           "plain .txt; 'txt': the corpus files as scraped, page furniture and all)",
           f"{'set':<10} {'answer in 1st':>14} {'in top 3':>9} {'vs clean (1st/top3)':>20} {'chunks':>7} "
           f"{'ingest s':>9}"]
    quality = figures["quality"]
    base = quality["clean"]
    for name in (*VARIANTS, "md", "md-as-txt"):
        row = quality[name]
        if name == "md":
            out += ["", "Markdown headings: a self-written changelog, answers in its headings (title counted)"]
        delta = f"{row['first'] - base['first']:+d} / {row['top3'] - base['top3']:+d}"
        delta = "" if name in ("clean", "md", "md-as-txt") else delta
        out.append(f"{name:<10} {row['first']:>7}/{row['questions']:<6} {row['top3']:>4}/{row['questions']:<4} "
                   f"{delta:>20} {row['chunks']:>7} {row['ingest_s']:>9}")
    mixed = figures["mixed_ingest"]
    out += ["", f"Mixed folder ingest: {mixed['files']} files, {mixed['chunks']} chunks in {mixed['seconds']} s", "",
            "Extraction (in a fresh process each; a file without pages counts as one page)",
            f"{'format':<12} {'files':>5} {'pages':>6} {'MB':>7} {'pages/s':>8} {'MB/s':>7} {'peak MB':>8}"]
    for name, row in figures["extraction"].items():
        if name == "baseline":
            continue
        out.append(f"{name:<12} {row['files']:>5} {row['pages']:>6} {row['mb_on_disk']:>7} {row['pages_per_s']:>8} "
                   f"{row['mb_per_s']:>7} {row['peak_mb']:>8}")
    baseline = figures["extraction"]["baseline"]["peak_mb"]
    out.append(f"(a Python that reads one .txt file the same way peaks at {baseline} MB)")
    return "\n".join(out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `qa bench formats`."""
    parser.add_argument("--pages", type=int, default=500, help="pages of the long PDF (default 500)")
    parser.add_argument("--repeat", type=int, default=20, help="times each other set is read (default 20)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON written here (default {DEFAULT_OUT})")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def command(args: argparse.Namespace) -> int:
    """Run the command with its parsed arguments; the exit status."""
    figures = benchmark(args.pages, args.repeat, args.given)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2) if args.json else table(figures))
    log(f"figures written to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`qa bench formats ARGS...` alone: `python -m evals.formats ARGS...`."""
    parser = argparse.ArgumentParser(prog="qa bench formats", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.given = list(sys.argv[1:] if argv is None else argv)
    return command(args)


if __name__ == "__main__":
    sys.exit(main())
