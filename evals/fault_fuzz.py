"""Fuzzed files and questions for `qa bench faults`: what a real folder and a real user throw at `qa`.

Files: random bytes, UTF-8 full of odd characters (line and paragraph separators, NEL, combining
marks, right-to-left text, emoji, NUL), empty and blank files, huge lines, truncated PDF, DOCX and
HTML, names that are not UTF-8, UTF-16 and UTF-32 with a byte-order mark, Latin-1, formats we do
not read. Each is either indexed whole or skipped with a named reason; the ones a reader must be
able to index (`must_index`) are held to it.
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ODD = ["\u2028", "\u2029", "\u0085", "\u0301", "\u0308", "\u200b", "\u200d", "\u202e", "\u202c", "\ufeff",
       "\r\n", "\r", "\t", "\x0b", "\x0c", "\u00a0", "\u3000"]
WORLD = ["مرحبا بالعالم", "שלום עולם", "日本語のテキスト", "Ελληνικά", "кириллица", "👩‍👩‍👧‍👦", "🇨🇺", "🏗️",
         "e\u0301te\u0301", "ﬁnance", "İstanbul", "straße"]
WORDS = ["harbour", "wall", "was", "rebuilt", "by", "workers", "from", "the", "town", "after", "a", "storm", "broke",
         "winter", "talks", "were", "held", "in", "havana", "and", "washington", "about", "migration", "travel"]


@dataclass(frozen=True)
class Fuzzed:
    """One fuzzed file: its path (bytes when its name is not UTF-8), what it is, and whether a
    reader must index it (its text is valid in a format we read)."""

    path: Path | bytes
    kind: str
    must_index: bool


def sentence(rng: random.Random, odd: bool) -> str:
    """Words, with odd characters and other scripts mixed in when `odd`."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(4, 14))]
    if odd:
        for _ in range(rng.randint(1, 4)):
            words.insert(rng.randrange(len(words) + 1), rng.choice(ODD + WORLD))
    return " ".join(words).capitalize() + rng.choice([".", "!", "?", "…", "。"])


def odd_text(rng: random.Random, nul: bool = False) -> str:
    paragraphs = [" ".join(sentence(rng, odd=True) for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(1, 8))]
    text = rng.choice(["\n\n", "\r\n\r\n", "\u2029", "\n\u2028\n"]).join(paragraphs)
    if nul:
        position = rng.randrange(len(text))
        text = text[:position] + "\x00" + text[position:]
    return text


def pdf_bytes(rng: random.Random) -> bytes:
    """A real two-page PDF drawn by reportlab."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    for _ in range(2):
        y = 780
        for _ in range(12):
            page.drawString(72, y, " ".join(rng.sample(WORDS, 10)) + ".")  # the standard fonts' characters
            y -= 18
        page.showPage()
    page.save()
    return out.getvalue()


def docx_bytes(rng: random.Random) -> bytes:
    """A real Word document written by python-docx."""
    import docx

    document = docx.Document()
    document.add_heading(sentence(rng, odd=False), level=1)
    for _ in range(6):  # XML holds no control characters but tab and line ends
        text = " ".join(sentence(rng, odd=True) for _ in range(3))
        document.add_paragraph("".join(c for c in text if c >= " " or c in "\t\n"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def html_text(rng: random.Random) -> str:
    body = "".join(f"<p>{sentence(rng, odd=True)} &amp; &#x2028; &bogus; <b>{rng.choice(WORLD)}</b></p>"
                   for _ in range(8))
    return f"<!doctype html><html><head><title>{rng.choice(WORLD)}</title></head><body>{body}</body></html>"


def cut(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, max(2, len(data) - 1))]


MAKERS: list[tuple[str, str, bool, Callable[[random.Random], bytes]]] = [  # (kind, suffix, must_index, bytes)
    ("random bytes", ".txt", False, lambda r: r.randbytes(r.randint(1, 20000))),
    ("odd UTF-8", ".txt", True, lambda r: odd_text(r).encode("utf-8")),
    ("odd UTF-8 Markdown", ".md", True, lambda r: ("# " + sentence(r, True) + "\n\n" + odd_text(r)).encode("utf-8")),
    ("UTF-8 with a NUL", ".txt", False, lambda r: odd_text(r, nul=True).encode("utf-8")),
    ("empty", ".txt", False, lambda r: b""),
    ("blank", ".md", False, lambda r: r.choice([b" \n\t\n", "\u2028\u3000\n".encode(), b"\r\n\r\n"])),
    ("huge line", ".txt", True, lambda r: " ".join(r.choice(WORDS) for _ in range(r.randint(3000, 12000))).encode()),
    ("UTF-16 with BOM", ".txt", True, lambda r: odd_text(r).encode("utf-16")),
    ("UTF-16 BE with BOM", ".txt", True, lambda r: b"\xfe\xff" + odd_text(r).encode("utf-16-be")),
    ("UTF-32 with BOM", ".md", True, lambda r: odd_text(r).encode("utf-32")),
    ("UTF-8 with BOM", ".txt", True, lambda r: b"\xef\xbb\xbf" + odd_text(r).encode("utf-8")),
    ("UTF-16 without BOM", ".txt", False, lambda r: odd_text(r).encode("utf-16-le")),
    ("Latin-1", ".txt", False, lambda r: ("Caf\u00e9 cr\u00e8me " + " ".join(r.sample(WORDS, 8))).encode("latin-1")),
    ("bad UTF-16 after a BOM", ".txt", False, lambda r: b"\xff\xfe" + r.randbytes(1) + b"\x00\xd8a\x00"),
    ("truncated PDF", ".pdf", False, lambda r: cut(pdf_bytes(r), r)),
    ("PDF", ".pdf", True, pdf_bytes),
    ("truncated DOCX", ".docx", False, lambda r: cut(docx_bytes(r), r)),
    ("DOCX", ".docx", True, docx_bytes),
    ("random bytes as DOCX", ".docx", False, lambda r: r.randbytes(r.randint(1, 5000))),
    ("truncated HTML", ".html", False, lambda r: cut(html_text(r).encode("utf-8"), r)),
    ("HTML", ".html", True, lambda r: html_text(r).encode("utf-8")),
    ("unsupported format", ".pptx", False, lambda r: r.randbytes(100)),
    ("image", ".png", False, lambda r: b"\x89PNG\r\n\x1a\n" + r.randbytes(200)),
]


def write_fuzzed_files(folder: Path, count: int, seed: int) -> list[Fuzzed]:
    """`count` fuzzed files in `folder` (every kind at least once when `count` allows), about one in
    twelve with a name that is not UTF-8."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    made: list[Fuzzed] = []
    for number in range(count):
        kind, suffix, must, make = MAKERS[number] if number < len(MAKERS) else rng.choice(MAKERS)
        data = make(rng)
        if number % 12 == 11:  # a Latin-1 name, as old archives carry: named and skipped, never a crash
            name = os.fsencode(folder) + f"/fuzz-{number:03d}-caf".encode() + b"\xe9" + suffix.encode()
            with open(name, "wb") as handle:
                handle.write(data)
            made.append(Fuzzed(name, kind + ", name not UTF-8", False))
            continue
        stem = f"fuzz-{number:03d}-{kind.replace(' ', '-')}"
        if number % 17 == 16:
            stem += "-" + rng.choice(WORLD).replace("/", "") + "\u202e" + "x" * rng.randint(1, 150)
        path = folder / (stem[:200] + suffix)
        path.write_bytes(data)
        made.append(Fuzzed(path, kind, must))
    return made


def fuzzed_questions(count: int, seed: int, real: list[str]) -> list[str | bytes]:
    """`count` questions a batch may carry: empty, blank, very long, control characters, bytes that
    are not UTF-8 (lone surrogates once decoded), other scripts, emoji; real questions with odd
    characters mixed in."""
    rng = random.Random(seed)
    fixed: list[str | bytes] = [
        "", " ", "\t \t", "?", "????", "\x00", "\x00\x01\x02\x07\x1b[31mred\x1b[0m", "\x7f\x9b",
        "a" * 999, "when " * 400, "x" * 5000, "\u2028", "\u0085 when was the wall rebuilt \u0085",
        "\u0301\u0301\u0301", "🏗️🏗️🏗️", "👩‍👩‍👧‍👦 who?", "מתי נבנתה החומה?", "متى أعيد بناء الجدار؟",
        "城墙是什么时候重建的？", "'; DROP TABLE qa_chunks; --", '{"$where": "1"}', ".*[(\\", "the of and a to",
        b"\xff\xfe when were the talks", b"\xed\xa0\x80\xed\xb0\x80 harbour", b"who \x80\x81 led", b"\xc3",
        "when\u200bwas\u200bthe\u200bwall\u200brebuilt", "WHEN WAS THE HARBOUR WALL REBUILT???", "1998",
    ]
    questions = fixed[:count]
    while len(questions) < count:
        base = rng.choice(real) if real else "when was the wall rebuilt?"
        words = base.split()
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randrange(len(words) + 1), rng.choice(ODD[:10] + WORLD))
        text = " ".join(words)
        questions.append(text.encode("utf-8") + b"\xff" if rng.random() < 0.15 else text)
    return questions
