"""The collections of `qa bench natural` (collections.toml) and their question files, read and
checked: which packages and files make each collection, its split, and questions that cite only
files the collection has."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.squad_data import BenchError

CATALOG = Path(__file__).resolve().parent / "collections.toml"
SPLITS = ("dev", "test")
CONVERSIONS = ("copy", "groff-html", "pandoc-docx")
KINDS = ("fact", "paraphrase", "goal", "definition", "number", "date", "changed", "unanswerable")
QUESTION_FILES = ("questions.jsonl", "conversations.jsonl")


@dataclass(frozen=True)
class Collection:
    """One collection: where its documents come from, how each becomes a file, and its split."""

    name: str
    split: str
    kind: str
    files: tuple[tuple[str, str], ...]  # (name in the collection folder, path in the unpacked source)
    catalog: Path  # the catalog file; the question files are in a folder named after the collection beside it
    debian: tuple[str, ...] = ()  # PKG=VERSION
    pypi: str = ""  # NAME==VERSION, an sdist
    folder: str = ""  # documents committed beside the catalog
    convert: str = "copy"

    @property
    def names(self) -> tuple[str, ...]:
        """The file names of the collection folder."""
        return tuple(name for name, _ in self.files)

    @property
    def questions(self) -> tuple[Path, ...]:
        """Its question files that exist (questions, then conversations)."""
        folder = self.catalog.parent / self.name
        return tuple(folder / name for name in QUESTION_FILES if (folder / name).is_file())

    @property
    def recipe(self) -> str:
        """Everything that decides the installed files, as one string (changed: install again)."""
        return json.dumps({"debian": self.debian, "pypi": self.pypi, "folder": self.folder,
                           "convert": self.convert, "files": self.files}, sort_keys=True)


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _collection(entry: object, path: Path) -> Collection:
    """One [[collection]] table, checked."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        raise BenchError(f"{path}: a [[collection]] without a name")
    where = f"{path}: collection {entry['name']}"
    if entry.get("split") not in SPLITS:
        raise BenchError(f"{where}: split {entry.get('split')!r} (give one of {', '.join(SPLITS)})")
    convert = entry.get("convert", "copy")
    if convert not in CONVERSIONS:
        raise BenchError(f"{where}: convert {convert!r} (give one of {', '.join(CONVERSIONS)})")
    files = entry.get("files")
    if not isinstance(files, dict) or not files or not all(isinstance(v, str) and v for v in files.values()):
        raise BenchError(f"{where}: no [collection.files] table of \"name\" = \"path in the source\"")
    debian, pypi, folder = entry.get("debian", []), entry.get("pypi", ""), entry.get("folder", "")
    if not _strings(debian) or not all("=" in d for d in debian):
        raise BenchError(f"{where}: debian must be a list of \"PKG=VERSION\"")
    if not isinstance(pypi, str) or (pypi and "==" not in pypi):
        raise BenchError(f"{where}: pypi must be \"NAME==VERSION\"")
    if sum(map(bool, (debian, pypi, folder))) != 1:
        raise BenchError(f"{where}: give exactly one of debian, pypi or folder")
    unknown = set(entry) - {"name", "split", "kind", "files", "debian", "pypi", "folder", "convert"}
    if unknown:
        raise BenchError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    return Collection(entry["name"], entry["split"], str(entry.get("kind", "")), tuple(files.items()), path,
                      tuple(debian), pypi, str(folder), convert)


def load_catalog(path: Path = CATALOG) -> list[Collection]:
    """Every collection of a catalog file, in its order."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchError(f"{path}: no such collections file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise BenchError(f"{path}: not a valid collections file ({error})") from None
    collections = [_collection(entry, path) for entry in data.get("collection", [])]
    if not collections:
        raise BenchError(f"{path}: no [[collection]] in it")
    names = [c.name for c in collections]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise BenchError(f"{path}: collection {repeated[0]} is named twice")
    return collections


def select(collections: Sequence[Collection], split: str | None, names: Sequence[str] = ()) -> list[Collection]:
    """The collections named (whatever their split), or else those of `split` (None: all)."""
    if names:
        known = {c.name: c for c in collections}
        for name in names:
            if name not in known:
                raise BenchError(f"--collection {name}: no such collection (known: {', '.join(known)})")
        return [known[name] for name in dict.fromkeys(names)]
    return [c for c in collections if split in (None, c.split)]


def _lines(path: Path) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    """(where, object) for each non-blank line of a JSON-lines file."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append((f"{path}:{number}", json.loads(line)))
            except json.JSONDecodeError as error:
                rows.append((f"{path}:{number}", {"__error__": error.msg}))
    return rows


def _question_problems(where: str, data: dict, names: set[str], standalone: bool) -> list[str]:  # type: ignore[type-arg]
    """What is wrong with one question (or turn) of a collection."""
    problems = []
    answers, sources, kind = data.get("answers", []), data.get("sources", []), data.get("kind")
    if not isinstance(data.get("question"), str) or not data["question"].strip():
        problems.append(f"{where}: no question text")
    if not isinstance(answers, list) or not isinstance(sources, list):
        return [*problems, f"{where}: answers and sources must be lists"]
    if standalone and kind not in KINDS:
        problems.append(f"{where}: kind {kind!r} (give one of {', '.join(KINDS)})")
    unanswerable = kind == "unanswerable" if standalone else not answers  # a turn has no kind
    if unanswerable and (answers or sources):
        problems.append(f"{where}: an unanswerable question with answers or sources")
    if not unanswerable and (not answers or not sources):
        problems.append(f"{where}: an answerable question needs answers and sources")
    if any(not isinstance(a, str) or not a.strip() for a in answers):
        problems.append(f"{where}: an empty answer string")
    problems.extend(f"{where}: source {s!r} is not a file of the collection" for s in sources if s not in names)
    return problems


def question_problems(collection: Collection) -> list[str]:
    """Every problem of a collection's question files: no questions, a line that is not JSON, a
    source not among its files, an empty answer string, a kind not known, an id used twice."""
    if not collection.questions:
        return [f"{collection.catalog.parent / collection.name}: no questions.jsonl"]
    names, seen, problems = set(collection.names), set(), []
    for path in collection.questions:
        for where, data in _lines(path):
            if "__error__" in data:
                problems.append(f"{where}: not JSON ({data['__error__']})")
                continue
            ident = data.get("id")
            if not isinstance(ident, str) or not ident or ident in seen:
                problems.append(f"{where}: id {ident!r} missing or used twice")
            seen.add(ident)
            turns = data.get("turns")
            if turns is None:
                problems.extend(_question_problems(where, data, names, standalone=True))
            elif not isinstance(turns, list) or not turns:
                problems.append(f"{where}: turns must be a non-empty list")
            else:
                for number, turn in enumerate(turns, start=1):
                    turn = turn if isinstance(turn, dict) else {}
                    problems.extend(_question_problems(f"{where} turn {number}", turn, names, standalone=False))
    return problems
