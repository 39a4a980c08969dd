"""Opening the Chroma database of an index: a server's (with the team's token), or a local folder's."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from config.errors import IndexBroken, IndexGone, IndexMissing, IndexUnreachable, known_failure
from config.settings import Settings


def ingest_command(settings: Settings) -> str:
    """The `qa ingest` command that builds the index `settings` name, as a person types it."""
    if settings.index == Settings().index:
        return "`qa ingest corpus/`"
    return f"`qa ingest --index {settings.index} FOLDER`"


def open_client(settings: Settings, create: bool) -> Any:
    """The Chroma client of the index `settings` name: a server's, or a local folder's (a read-only or full
    one's from a copy, when not `create`; raises IndexUnreachable, IndexMissing, IndexBroken)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.is_remote:
        url = urlparse(settings.index)
        if not url.hostname:
            raise IndexUnreachable(f"index URL {settings.index}: no host in it (use http://HOST:PORT)")
        port = url.port or (443 if url.scheme == "https" else 8000)
        headers = {"Authorization": f"Bearer {settings.chroma_token}"} if settings.chroma_token else None
        try:
            client = chromadb.HttpClient(
                host=url.hostname, port=port, ssl=url.scheme == "https", headers=headers, settings=chroma_settings
            )
            client.heartbeat()
        except Exception as error:  # chromadb raises several kinds for a dead server
            if refused := refusal(error):
                advice = "check QA_CHROMA_TOKEN" if settings.chroma_token else "set QA_CHROMA_TOKEN to the team's token"
                raise IndexUnreachable(f"Chroma server {settings.index} refused the request ({refused}): "
                                       f"{advice}") from None
            raise IndexUnreachable(
                f"Chroma server {settings.index} does not answer ({type(error).__name__}): "
                f"start it with `chroma run --path DIR --port {port}` or check the URL"
            ) from None
        return client
    path = Path(settings.index)
    if path.exists() and not path.is_dir():  # before "no index": its advice would fail the same way
        raise IndexBroken(f"index path {path} is a file, not a directory: point --index at a directory")
    if not create and not (path / "chroma.sqlite3").is_file():
        raise IndexMissing(f"no index at {path}: build it with {ingest_command(settings)} (or point --index at one)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as error:
        known = known_failure(error, str(path))  # a full disk or a read-only folder is no corruption
        if known is not None and not create and not isinstance(known, IndexGone):
            # asking needs no write, but Chroma writes as it opens: a read-only or full disk's index
            # is read from a copy in memory (or the temporary folder), the index itself untouched
            return chromadb.PersistentClient(path=str(snapshot(path)), settings=chroma_settings)
        if known is not None:
            raise known from None
        raise IndexBroken(
            f"index at {path} cannot be opened ({type(error).__name__}: {error}): "
            "delete the folder and run `qa ingest` again"
        ) from None


def refusal(error: BaseException) -> str:
    """"401 Unauthorized" or "403 Forbidden" when a server, or the proxy before it, refused us (chromadb
    wraps the HTTP error it got, so the chain is searched)."""
    seen: BaseException | None = error
    while seen is not None:
        status = getattr(getattr(seen, "response", None), "status_code", None)
        if status in (401, 403):
            return "401 Unauthorized" if status == 401 else "403 Forbidden"
        seen = seen.__cause__ or seen.__context__
    return ""


def snapshot(path: Path) -> Path:
    """A copy of the index at `path` in a temporary folder (in memory where /dev/shm has room), removed
    when the process ends."""
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    shm = Path("/dev/shm")
    room = shutil.disk_usage(shm).free if shm.is_dir() and os.access(shm, os.W_OK) else 0
    folder = Path(tempfile.mkdtemp(prefix="qa-index-", dir=shm if room > 2 * size else None))
    atexit.register(shutil.rmtree, folder, True)
    copy = folder / "index"
    shutil.copytree(path, copy)
    return copy
