"""Reading source files: verbatim text with clear reasons for refusing a file."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import UnreadableFile

SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".qa"}


@dataclass(frozen=True)
class Document:
    """A source file's full text, exactly as decoded from its bytes (no newline translation)."""

    path: Path
    text: str
    sha256: str

    @property
    def source(self) -> str:
        return str(self.path)


def display_path(path: str | Path) -> str:
    """The path as a person in the current directory would type it."""
    path = Path(path)
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if not relative.startswith(".." + os.sep + "..") else str(path)


def read_document(path: Path, max_bytes: int) -> Document:
    """Read `path` as UTF-8 text, or raise UnreadableFile saying why and what to do."""
    shown = display_path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UnreadableFile(shown, "no such file", "check the path") from None
    except OSError as error:
        raise UnreadableFile(shown, f"cannot read ({error.strerror})", "check its permissions") from None
    if size > max_bytes:
        raise UnreadableFile(
            shown,
            f"too large ({size / 1e6:.1f} MB, limit {max_bytes / 1e6:.0f} MB)",
            "split it, or raise max_file_mb / QA_MAX_FILE_MB",
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(shown, f"cannot read ({error.strerror})", "check its permissions") from None
    if not data.strip():
        raise UnreadableFile(shown, "empty file", "add text to it or remove it")
    if b"\x00" in data[:8192]:
        raise UnreadableFile(shown, "binary file, not text", "convert it to .txt")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            shown,
            f"not UTF-8 text (bad byte at offset {error.start})",
            "re-save it as UTF-8, e.g. iconv -f latin1 -t utf-8",
        ) from None
    return Document(path=path, text=text, sha256=hashlib.sha256(data).hexdigest())


def find_files(paths: Iterable[Path], extensions: tuple[str, ...]) -> Iterator[Path | UnreadableFile]:
    """Every indexable file under `paths` (absolute), or an UnreadableFile for a path that fails.

    A folder yields its files with a known extension, skipping hidden and tool folders;
    a file named directly with another extension is refused with a reason.
    """
    for given in paths:
        path = Path(given).expanduser()
        if not path.exists():
            yield UnreadableFile(display_path(path), "no such file or folder", "check the path")
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and name.lower().endswith(extensions):
                        yield Path(os.path.abspath(Path(root) / name))
        elif path.suffix.lower() in extensions:
            yield Path(os.path.abspath(path))
        else:
            yield UnreadableFile(
                display_path(path),
                f"unsupported format {path.suffix or '(no extension)'}",
                f"only {' and '.join(extensions)} are read; convert it to .txt",
            )
