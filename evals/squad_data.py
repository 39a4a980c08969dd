"""SQuAD v1.1 dev as a corpus for the benchmarks: the dev file read and checked, each paragraph
written as one text file (its article's title as a heading, then the paragraph), and the
questions with their gold files. One writer for `qa bench squad` and `qa bench speed`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.errors import QAError
from config.settings import PROJECT_ROOT

SQUAD_FILE = PROJECT_ROOT.parent / "shared" / "bench" / "squad_v1.1" / "dev-v1.1.json"


class BenchError(QAError):
    """A benchmark that cannot run; str() is the one line to show."""


def guarded(prog: str, work: Callable[[], int], failure: int = 1) -> int:
    """Run a benchmark's or eval's `work` (which prints its results and returns the exit status): a
    QAError or SettingsError (BenchError included) is its one line and `failure`, Ctrl-C is
    "interrupted" and 130; the way every `qa bench` and `qa eval` ends."""
    from config.settings import SettingsError

    try:
        return work()
    except (QAError, SettingsError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return failure
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


@dataclass(frozen=True)
class SquadQuestion:
    """One SQuAD question with its gold paragraph file and answers (offsets into that file)."""

    id: str
    question: str
    answers: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    source: str
    article: int

    @property
    def split(self) -> str:
        """tune for the even-numbered articles, test for the odd ones."""
        return "tune" if self.article % 2 == 0 else "test"


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of the dev set, as the file it becomes."""

    article: int
    number: int
    title: str
    context: str
    qas: tuple[dict[str, Any], ...]

    @property
    def file_name(self) -> str:
        return f"{self.article:02d}-{self.number:03d}.txt"

    @property
    def heading(self) -> str:
        return f"# {self.title.replace('_', ' ')}\n\n"

    @property
    def file_text(self) -> str:
        """The article's title as a heading, then the paragraph (at offset `len(heading)`)."""
        return self.heading + self.context + "\n"


def load_squad(path: Path) -> dict[str, Any]:
    """The parsed dev set, or BenchError with one line saying what is wrong."""
    if not path.is_file():
        raise BenchError(f"{path}: SQuAD v1.1 dev set not found (put dev-v1.1.json there)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["data"][0]["paragraphs"][0]["qas"]
    except (OSError, ValueError, KeyError, IndexError, TypeError) as error:
        raise BenchError(
            f"{path}: not a SQuAD v1.1 file ({type(error).__name__}); use the official dev-v1.1.json"
        ) from None
    return data


def paragraphs(data: dict[str, Any]) -> list[Paragraph]:
    """Every paragraph of the dev set, in data order."""
    return [
        Paragraph(a, p, article["title"], paragraph["context"], tuple(paragraph["qas"]))
        for a, article in enumerate(data["data"])
        for p, paragraph in enumerate(article["paragraphs"])
    ]


def write_paragraphs(chosen: list[Paragraph], folder: Path) -> None:
    """One file per paragraph in `folder` (only files whose text differs are written)."""
    folder.mkdir(parents=True, exist_ok=True)
    for paragraph in chosen:
        path = folder / paragraph.file_name
        if not path.is_file() or path.read_text(encoding="utf-8") != paragraph.file_text:
            path.write_text(paragraph.file_text, encoding="utf-8")


def write_corpus(data: dict[str, Any], folder: Path) -> list[SquadQuestion]:
    """Write one file per paragraph into `folder` and return the questions with their gold files."""
    every = paragraphs(data)
    write_paragraphs(every, folder)
    questions: list[SquadQuestion] = []
    for paragraph in every:
        offset = len(paragraph.heading)
        source = str((folder / paragraph.file_name).resolve())
        for qa in paragraph.qas:
            answers = tuple(dict.fromkeys(x["text"] for x in qa["answers"]))
            spans = tuple(dict.fromkeys(
                (offset + x["answer_start"], offset + x["answer_start"] + len(x["text"])) for x in qa["answers"]
            ))
            questions.append(SquadQuestion(qa["id"], qa["question"], answers, spans, source, paragraph.article))
    return questions
