"""Reading source files of every supported format: canonical text with clear reasons for refusing a file."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import mimetypes
import os
import stat
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from config.errors import UnreadableFile
from index.documents.formats import PLAIN_TEXT_ID, SURROGATE, Extracted, Format, FormatProblem, format_of, formats

if TYPE_CHECKING:
    from index.documents.formats.ocr import PageReader

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


def readable_format(path: Path) -> Format:
    """The format `path` is read as, or raise UnreadableFile: a special file (a FIFO, a device), or a format
    no extractor reads."""
    if (special := special_file(path)) is not None:
        raise special
    found = format_of(path)
    if found is None:
        raise refusal(path)
    return found


def fingerprint(path: Path) -> tuple[str, str]:
    """(SHA-256 of the bytes, extractor id): what decides whether an indexed file is up to date."""
    found = readable_format(path)
    try:
        return file_sha256(path), found.id
    except OSError as error:
        raise _cannot_read(display_path(path), error) from None


def read_document(path: Path, max_bytes: int, ocr: PageReader | None = None) -> Document:
    """Read `path` and extract its canonical text, or raise UnreadableFile saying why and what to do.

    `max_bytes` limits the extracted text (for .txt and .md, the file itself); `ocr` reads the pages
    that are images of text (without it they have none)."""
    shown = display_path(path)
    found = readable_format(path)
    try:
        sha = file_sha256(path)
        scanned = found.scans and ocr is not None  # a PDF at ingest: its scanned pages read by OCR
        extracted = found.extract(path, max_bytes, ocr) if scanned else found.extract(path, max_bytes)
    except OSError as error:
        raise _cannot_read(shown, error) from None
    except FormatProblem as problem:
        raise UnreadableFile(shown, problem.problem, problem.action, kind=problem.kind) from None
    if not extracted.text.strip():
        raise UnreadableFile(shown, "empty file", "add text to it or remove it", kind="empty file")
    extracted = valid_extracted(extracted)
    return Document(path=path, text=extracted.text, sha256=sha, extracted=extracted, extractor=found.id)


def valid_extracted(extracted: Extracted) -> Extracted:
    """`extracted` with any lone surrogate in its text (an extractor's slip: the model's tokenizer and
    the index refuse them) replaced by U+FFFD, one character for one, so every offset still holds."""
    if not SURROGATE.search(extracted.text) and not SURROGATE.search(extracted.title):
        return extracted
    return dataclasses.replace(extracted, text=SURROGATE.sub("\ufffd", extracted.text),
                               title=SURROGATE.sub("\ufffd", extracted.title))


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


def find_files(paths: Iterable[Path], extensions: tuple[str, ...],
               follow_links: bool = False) -> Iterator[Path | UnreadableFile]:
    """Every file under `paths` (absolute) that can be indexed, or an UnreadableFile for each path
    that cannot: a folder's files of other formats included, so none is skipped silently. Hidden
    files and tool folders (.git, node_modules, ...) are passed over; so is a link that leads out of
    the folders named (a folder sent to you may link to ~/.ssh), unless `follow_links`, and a FIFO,
    device or socket, by its type, before anything opens it."""
    given = [Path(p).expanduser() for p in paths]
    inside = [os.path.realpath(p) for p in given]
    for path in given:
        if not os.path.lexists(path):
            yield UnreadableFile(display_path(path), "no such file or folder", "check the path", kind="missing")
        elif path.is_dir():
            yield from _walk(path, extensions, inside, follow_links)
        elif not name_is_text(path):
            yield odd_name(path)
        elif path.suffix.lower() in extensions:
            yield special_file(path) or Path(os.path.abspath(path))
        else:
            yield refusal(path)


def _walk(folder: Path, extensions: tuple[str, ...], inside: list[str],
          follow_links: bool) -> Iterator[Path | UnreadableFile]:
    seen: set[str] = set()  # real paths of the folders walked: a link back to one is a loop
    for root, dirs, files in os.walk(folder, followlinks=True):  # a linked folder is read too
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            yield UnreadableFile(display_path(root), f"a folder link back to {display_path(real)}, not "
                                 "followed again", "nothing to do: its files are read once", kind="link loop")
            continue
        seen.add(real)
        kept = []
        for name in sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")):
            outside = None if follow_links else link_outside(Path(root) / name, inside)
            if outside is None:
                kept.append(name)
            else:
                yield outside
        dirs[:] = kept
        for name in sorted(files):
            if name.startswith("."):
                continue
            found = Path(os.path.abspath(Path(root) / name))
            if not name.lower().endswith(extensions):
                yield refusal(found)
            elif not name_is_text(found):
                yield odd_name(found)
            else:
                yield (None if follow_links else link_outside(found, inside)) or special_file(found) or found


def link_outside(path: Path, inside: list[str]) -> UnreadableFile | None:
    """Why a link that leads out of the folders named (`inside`, real paths) is not followed; None for
    anything else."""
    if not os.path.islink(path):
        return None
    target = os.path.realpath(path)
    if not os.path.exists(target):  # a broken link leads nowhere: reading it says so
        return None
    if any(target == root or target.startswith(root.rstrip(os.sep) + os.sep) for root in inside):
        return None
    return UnreadableFile(display_path(path), f"a link to {display_path(target)}, outside the folders named",
                          "name that folder too, or pass --follow-links", kind="link outside")


def special_file(path: Path) -> UnreadableFile | None:
    """Why a FIFO, a device or a socket is not read (opening one can block forever, reading /dev/zero
    never ends); None for a regular file, and for one that cannot be looked at (reading it says why)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    what = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
    return UnreadableFile(display_path(path), f"{what}, not a file", "copy its contents into a file to index them",
                          kind="not a file")


def skip_summary(skipped: list[UnreadableFile]) -> str:
    """What was skipped and why, in one line: "skipped 3: 2 .pptx (unsupported format), 1 .png (not text)"."""
    if not skipped:
        return ""
    groups = Counter((Path(p.path).suffix.lower(), p.kind) for p in skipped)
    parts = [f"{count} {suffix} ({kind})" if suffix else f"{count} ({kind})" for (suffix, kind), count in
             sorted(groups.items(), key=lambda item: (-item[1], item[0]))]
    return f"skipped {len(skipped)}: " + ", ".join(parts)
