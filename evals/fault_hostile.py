"""Hostile files for `qa bench faults` and its tests (issue 24): each a way one file used to stop, hang
or flood an ingest, or drive the terminal, made by the real tools that make such files.

- a PDF that Chromium printed from a page with mathematical italic letters (PDFium gives them as
  UTF-16 surrogate pairs), kept in evals/data/ with the page it was printed from;
- Word files made by python-docx, then broken: XML cut in half, bits flipped, a billion-laughs
  DOCTYPE, and a zip bomb whose XML unpacks to `bomb_mb` megabytes;
- a FIFO, a link to /dev/zero and a link out of the folder (to /etc/passwd), each named .txt;
- one line of `long_line_mb` megabytes with no full stop;
- a PDF of `form_pages` pages of one layout, made by reportlab;
- a text whose lines hold escape sequences (window title, clear screen, OSC 8 link, C1 CSI);
- good text files beside them, which every ingest must index.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evals.fault_checks import Findings, Ran
    from evals.faults import Workspace

DATA = Path(__file__).resolve().parent / "data"
MATH_PDF = DATA / "chromium-math-italic.pdf"  # printed by Chromium 156 from chromium-math-italic.html

# What a terminal must never receive from a document: ESC, BEL, C1 CSI, and a carriage return that
# does not end a line.
ESCAPES = (
    "Harbour notes\x1b]0;owned\x07\n\n"
    "The harbour wall was rebuilt in 1998 by four hundred workers.\x1b[2J It cost "
    "\x1b]8;;http://example.invalid/\x1b\\a great deal\x1b]8;;\x1b\\ of money, \x9b31mpaid\x9b0m by the town.\r"
    "The lighthouse keeper rang the bell\x07 at noon.\n"
)
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\x00")


@dataclass(frozen=True)
class Hostile:
    """One hostile file: its name in the folder, what it is, and whether a reader must index it."""

    name: str
    kind: str
    must_index: bool


def _docx(path: Path, text: str) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Harbour report", 1)
    document.add_paragraph(text)
    document.save(str(path))


def _rewritten(source: Path, target: Path, change: Callable[[str, bytes], bytes]) -> None:
    """`source`'s zip archive written again as `target`, each member through `change`."""
    with zipfile.ZipFile(source) as given, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in given.infolist():
            out.writestr(zipfile.ZipInfo(info.filename, info.date_time), change(info.filename, given.read(info)),
                         zipfile.ZIP_DEFLATED)


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 2 else b"&lol;") * 10)
                     for n in range(2, 10))
          + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'
          b"<w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>")


def write_broken_docx(folder: Path, bomb_mb: int, seed: int = 3) -> list[Hostile]:
    """A good Word file, and broken ones made from it."""
    good = folder / "report.docx"
    _docx(good, "The harbour crane was repaired in 2011 after a winter storm.")
    made = [Hostile(good.name, "Word file", True)]
    _rewritten(good, folder / "cut-xml.docx",
               lambda name, body: body[: len(body) // 2] if name == "word/document.xml" else body)
    _rewritten(good, folder / "laughs.docx", lambda name, body: LAUGHS if name == "word/document.xml" else body)

    def bomb(name: str, body: bytes) -> bytes:
        if name != "word/document.xml":
            return body
        cut = body.index(b"</w:body>")
        return body[:cut] + b"<w:p><w:r><w:t>" + b"a " * (bomb_mb * 500_000) + b"</w:t></w:r></w:p>" + body[cut:]

    _rewritten(good, folder / "bomb.docx", bomb)
    made += [Hostile("cut-xml.docx", "Word XML cut in half", False),
             Hostile("laughs.docx", "billion laughs", False),
             Hostile("bomb.docx", f"zip bomb ({bomb_mb} MB of XML)", False)]
    data = good.read_bytes()
    rng = random.Random(seed)
    for n in range(5):
        flipped = bytearray(data)
        for _ in range(8):
            at = rng.randrange(200, len(flipped) - 200)
            flipped[at] ^= 1 << rng.randrange(8)
        (folder / f"flipped-{n}.docx").write_bytes(bytes(flipped))
        made.append(Hostile(f"flipped-{n}.docx", "bits flipped", False))
    return made


def write_special_files(folder: Path) -> list[Hostile]:
    """A FIFO, a link to /dev/zero and a link out of the folder, each named as text."""
    os.mkfifo(folder / "pipe.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    return [Hostile("pipe.txt", "FIFO", False), Hostile("zero.txt", "link to /dev/zero", False),
            Hostile("passwd.txt", "link out of the folder", False)]


def write_long_line(path: Path, megabytes: float, seed: int = 1) -> None:
    """One line of part numbers ("r20931", "pier", "h55123"), as a parts list or a log prints them, with no
    full stop: too few letters to read as prose, so every line rule looks at all of it."""
    rng = random.Random(seed)
    words = ["harbour", "wall", "river", "stone", "bridge", "tide", "crane", "pier"]
    out: list[str] = []
    size = 0
    while size < megabytes * 1e6:
        word = rng.choice(words) if rng.random() < 0.1 else f"{rng.choice('rhkpt')}{rng.randrange(10**5, 10**6)}"
        out.append(word)
        size += len(word) + 1
    path.write_text(" ".join(out), encoding="utf-8")


def write_form_pdf(path: Path, pages: int) -> None:
    """A PDF of `pages` pages of one layout (a record a page), printed by reportlab."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    sheet = canvas.Canvas(str(path), pagesize=A4)
    for n in range(1, pages + 1):
        sheet.setFont("Helvetica", 11)
        sheet.drawString(72, 760, f"Inspection record {n}")
        sheet.drawString(72, 740, f"The pump at station {n} was inspected and delivered {n * 7} litres a minute.")
        sheet.drawString(72, 720, f"Inspector badge {1000 + n}")
        sheet.showPage()
    sheet.save()


def write_good_files(folder: Path, count: int = 5) -> list[Hostile]:
    for n in range(1, count + 1):
        (folder / f"bridge-{n}.txt").write_text(
            f"Bridge {n}\n\nThe bridge number {n} was painted blue in the spring of 2019 by the town council.\n",
            encoding="utf-8")
    return [Hostile(f"bridge-{n}.txt", "good text", True) for n in range(1, count + 1)]


def write_hostile_folder(folder: Path, bomb_mb: int = 40, long_line_mb: float = 0.2,
                         form_pages: int = 300) -> list[Hostile]:
    """Every hostile file of this module in `folder`, with good files beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(MATH_PDF, folder / "math.pdf")
    (folder / "escapes.txt").write_text(ESCAPES, encoding="utf-8")
    write_long_line(folder / "long-line.txt", long_line_mb)
    write_form_pdf(folder / "forms.pdf", form_pages)
    made = [Hostile("math.pdf", "Chromium PDF, mathematical letters", True),
            Hostile("escapes.txt", "escape sequences", True),
            Hostile("long-line.txt", f"one line of {long_line_mb:g} MB", True),
            Hostile("forms.pdf", f"{form_pages} pages of one layout", True)]
    made += write_broken_docx(folder, bomb_mb)
    made += write_special_files(folder)
    made += write_good_files(folder)
    return made


def raw_controls(text: str) -> int:
    """How many characters that drive a terminal `text` holds (a carriage return that ends no line too)."""
    return sum(text.count(c) for c in RAW_CONTROLS) + len(re.findall("\r(?!\n)", text))


# ---- the row of `qa bench faults` ----------------------------------------------------------------------
def peak_ingest(folder: Path, index: str, env: dict[str, str], timeout: float) -> tuple[Ran, int]:
    """`qa ingest -v` of `folder`, and the peak memory (bytes) of its process."""
    from evals.fault_checks import HUNG, Ran, qa_command

    measure = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True); "
               "sys.stdout.buffer.write(done.stdout); sys.stderr.buffer.write(done.stderr); "
               "print(f'peak={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr); "
               "sys.exit(done.returncode)")
    args = ("ingest", "-v", str(folder), "--index", index)
    began = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", measure, *qa_command(*args)], capture_output=True, text=True,
                              env=env, timeout=timeout)
        code, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired:
        code, out, err = -9, "", f"{HUNG} ({timeout:.0f} s)"
    found = re.search(r"peak=(\d+)\s*$", err)
    err = err[: found.start()] if found else err
    return Ran(args, code, out, err, time.perf_counter() - began), int(found.group(1)) * 1024 if found else 0


def hostile_folder(ws: Workspace, quick: bool) -> tuple[Findings, str]:
    """Every hostile file in one folder: the ingest ends, names each file it skips, indexes the rest;
    nothing any command prints drives a terminal; a batch gives a line for every line."""
    from evals.fault_checks import HUNG, Findings, ask_batch, check_command, qa_environment, run_qa

    found = Findings()
    folder, index = ws.root / "hostile-docs", str(ws.root / "hostile-index")
    made = write_hostile_folder(folder, bomb_mb=40 if quick else 1000, long_line_mb=0.2 if quick else 4.0,
                                form_pages=300 if quick else 3000)
    env = qa_environment()
    ran, peak = peak_ingest(folder, index, env, timeout=1800)
    check_command(ran, found)
    said = ran.stdout + ran.stderr
    aborted = int(ran.code != 0)
    # `-v` lists each file ("  added     /tmp/.../math.pdf  (1 of 5 lines left out: not prose)")
    added = {line.split()[1].rsplit("/", 1)[-1] for line in ran.stdout.splitlines() if line.startswith("  added ")}
    unnamed = [h.name for h in made if f"/{h.name}: " not in ran.stderr and h.name not in added]
    unindexed = [h.name for h in made if h.must_index and h.name not in added]
    for name in unnamed + unindexed:
        found.problem(f"hostile: {name} {'neither indexed nor named' if name in unnamed else 'not indexed'}")
    outputs = [said]
    for argv in (("ask", "when was the harbour wall rebuilt?"), ("ask", "who rang the bell?"),
                 ("show", "escapes.txt:1"), ("show", "nowhere\x1b]0;owned\x07.txt:1")):
        shown = run_qa(*argv, "--index", index, env=env)
        check_command(shown, found)
        outputs.append(shown.stdout + shown.stderr)
    escapes = sum(raw_controls(text) for text in outputs)
    lines = ["when was the harbour wall rebuilt?", "", " \u2028 ", "who rang the bell?", "\t"]
    batch = ask_batch(index, list(lines), env, found)
    lost = len(lines) - len(batch.stdout.splitlines())
    found.runs += 1
    if escapes or lost or aborted:
        found.problem(f"hostile: {aborted} aborted ingests, {escapes} raw control characters shown, "
                      f"{lost} batch lines lost")
    return found, (f"{len(made)} files; aborted {aborted}, hung {int(HUNG in ran.stderr)}, ingest peak "
                   f"{peak / 1e6:,.0f} MB, raw escapes {escapes}, batch lines lost {lost}")
