"""Reading source files of every supported format: canonical text with clear reasons for refusing a file."""

from __future__ import annotations

import errno
import hashlib
import mimetypes
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import UnreadableFile
from index.formats import PLAIN_TEXT_ID, Extracted, FormatProblem, format_of, formats

SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".qa"}
NOT_TEXT_TYPES = ("image/", "audio/", "video/", "font/")


@dataclass(frozen=True)
class Document:
    """A source file's canonical text (for .txt and .md: exactly as decoded from its bytes, no
    newline translation; for other formats: the extracted text) and what it was extracted with."""

    path: Path
    text: str
    sha256: str
    extracted: Extracted = field(default_factory=lambda: Extracted(""), repr=False)
    extractor: str = PLAIN_TEXT_ID

    @property
    def source(self) -> str:
        return str(self.path)


def display_path(path: str | Path) -> str:
    """The path as a person in the current directory would type it; bytes of a name that are not
    UTF-8 are shown escaped (\\xe9), so the path can always be printed."""
    path = Path(path)
    try:
        relative = os.path.relpath(path)
    except ValueError:
        relative = str(path)
    shown = relative if not relative.startswith(".." + os.sep + "..") else str(path)
    return os.fsencode(shown).decode("utf-8", "backslashreplace")


def name_is_text(path: str | Path) -> bool:
    """Whether a path is valid UTF-8 (a name with other bytes decodes to lone surrogates, which the
    index cannot store)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def odd_name(path: Path) -> UnreadableFile:
    return UnreadableFile(display_path(path), "its name is not UTF-8, which the index cannot store",
                          "rename it, e.g. convmv -f latin1 -t utf8 --notest", kind="name not UTF-8")


def _cannot_read(shown: str, error: OSError) -> UnreadableFile:
    if isinstance(error, FileNotFoundError):
        return UnreadableFile(shown, "no such file", "check the path", kind="missing")
    if error.errno == errno.ELOOP:
        return UnreadableFile(shown, "a symbolic link that loops", "fix or remove the link", kind="link loop")
    return UnreadableFile(shown, f"cannot read ({error.strerror})", "check its permissions", kind="cannot read")


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in pieces (raises OSError)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for piece in iter(lambda: handle.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def fingerprint(path: Path) -> tuple[str, str]:
    """(SHA-256 of the bytes, extractor id): what decides whether an indexed file is up to date."""
    found = format_of(path)
    if found is None:
        raise refusal(path)
    try:
        return file_sha256(path), found.id
    except OSError as error:
        raise _cannot_read(display_path(path), error) from None


def read_document(path: Path, max_bytes: int) -> Document:
    """Read `path` and extract its canonical text, or raise UnreadableFile saying why and what to do.

    `max_bytes` limits the extracted text (for .txt and .md, the file itself)."""
    shown = display_path(path)
    found = format_of(path)
    if found is None:
        raise refusal(path)
    try:
        sha = file_sha256(path)
        extracted = found.extract(path, max_bytes)
    except OSError as error:
        raise _cannot_read(shown, error) from None
    except FormatProblem as problem:
        raise UnreadableFile(shown, problem.problem, problem.action, kind=problem.kind) from None
    if not extracted.text.strip():
        raise UnreadableFile(shown, "empty file", "add text to it or remove it", kind="empty file")
    return Document(path=path, text=extracted.text, sha256=sha, extracted=extracted, extractor=found.id)


def refusal(path: Path) -> UnreadableFile:
    """Why a file of an unsupported format is not read: not text at all (an image, audio, video),
    or a format we do not read."""
    kind, _ = mimetypes.guess_type(path.name)
    suffix = path.suffix.lower() or "(no extension)"
    readable = ", ".join(sorted(formats()))
    if kind and kind.startswith(NOT_TEXT_TYPES):
        what = kind.split("/")[0]
        return UnreadableFile(display_path(path), f"{suffix} is {'an' if what[0] in 'aeiou' else 'a'} {what}, not text",
                              "OCR or transcribe it to .txt first" if what in ("image", "audio", "video")
                              else "nothing to index", kind="not text")
    return UnreadableFile(display_path(path), f"unsupported format {suffix}",
                          f"only {readable} are read; convert it to one of them", kind="unsupported format")


def find_files(paths: Iterable[Path], extensions: tuple[str, ...]) -> Iterator[Path | UnreadableFile]:
    """Every file under `paths` (absolute) that can be indexed, or an UnreadableFile for each path
    that cannot: a folder's files of other formats included, so none is skipped silently. Hidden
    files and tool folders (.git, node_modules, ...) are passed over."""
    for given in paths:
        path = Path(given).expanduser()
        if not path.exists():
            yield UnreadableFile(display_path(path), "no such file or folder", "check the path", kind="missing")
        elif path.is_dir():
            seen: set[str] = set()  # real paths of the folders walked: a link back to one is a loop
            for root, dirs, files in os.walk(path, followlinks=True):  # a linked folder is read too
                real = os.path.realpath(root)
                if real in seen:
                    dirs[:] = []
                    yield UnreadableFile(display_path(root), f"a folder link back to {display_path(real)}, not "
                                         "followed again", "nothing to do: its files are read once", kind="link loop")
                    continue
                seen.add(real)
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    found = Path(os.path.abspath(Path(root) / name))
                    if not name.lower().endswith(extensions):
                        yield refusal(found)
                    else:
                        yield found if name_is_text(found) else odd_name(found)
        elif not name_is_text(path):
            yield odd_name(path)
        elif path.suffix.lower() in extensions:
            yield Path(os.path.abspath(path))
        else:
            yield refusal(path)


def skip_summary(skipped: list[UnreadableFile]) -> str:
    """What was skipped and why, in one line: "skipped 3: 2 .pptx (unsupported format), 1 .png (not text)"."""
    if not skipped:
        return ""
    groups = Counter((Path(p.path).suffix.lower(), p.kind) for p in skipped)
    parts = [f"{count} {suffix} ({kind})" if suffix else f"{count} ({kind})" for (suffix, kind), count in
             sorted(groups.items(), key=lambda item: (-item[1], item[0]))]
    return f"skipped {len(skipped)}: " + ", ".join(parts)
