"""`qa bench faults`, the faults of the place an index lives: its `chroma run` server killed
mid-ingest, its disk full, its disk read-only. Each says what it is in one line, advises no
deletion, and the index answers again once the place is back."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from evals.fault_checks import Findings, check_command, finish, qa_environment, recover_and_check, run_qa, start_qa
from evals.squad_data import BenchError

if TYPE_CHECKING:
    from evals.faults import Workspace


def log(message: str) -> None:
    print(f"qa bench faults: {message}", file=sys.stderr, flush=True)


# ---- a server killed mid-ingest ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(chroma: str, data: Path, port: int, log_to: Path) -> subprocess.Popen[bytes]:
    """`chroma run` on 127.0.0.1:`port`, once it answers its heartbeat."""
    with log_to.open("ab") as out:
        server = subprocess.Popen([chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
                                  stdout=out, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while time.time() < deadline and server.poll() is None:
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).read()
            return server
        time.sleep(0.3)
    server.kill()
    raise BenchError(f"`chroma run` did not start on port {port} (see {log_to})")


def server_killed(ws: Workspace, runs: int) -> tuple[Findings, str]:
    """`chroma run` killed -9 while `qa ingest` writes to it, then started again on the same data."""
    from evals.faults import change_files, good_files

    found = Findings()
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        return found, "skipped: no `chroma` command (pip install chromadb)"
    folder, data, port = ws.folder("server-docs", 30), ws.root / "server-data", free_port()
    url = f"http://127.0.0.1:{port}"
    env = qa_environment(QA_INGEST_WINDOW="2", XDG_CACHE_HOME=str(ws.root / "cache"))  # the BM25 copy's home
    server = start_server(chroma, data, port, ws.root / "chroma.log")
    reference = run_qa("ingest", str(folder), "--index", url, env=env)  # a whole ingest, to time the kill by
    check_command(reference, found)
    try:
        for number in range(runs):
            change_files(folder, ws, share=0.6)
            began = time.perf_counter()
            process = start_qa(("ingest", str(folder), "--index", url), env)
            delay = ws.rng.uniform(1.0, max(2.0, reference.seconds * 0.6))
            time.sleep(delay)
            server.kill()
            server.wait()
            ran = finish(process, ("ingest", str(folder), "--index", url), began, timeout=300)
            check_command(ran, found)
            if ran.code != 0 and "stopped answering" not in ran.stderr and "does not answer" not in ran.stderr:
                found.problem(f"server killed: `{ran.shown}` said {ran.stderr.strip()[-200:]!r}")
            found.cut_short += ran.code != 0
            log(f"server killed {number + 1}/{runs} after {delay:.1f} s: ingest exit {ran.code}")
            server = start_server(chroma, data, port, ws.root / "chroma.log")
            recover_and_check([folder], url, good_files(folder), env, found, f"server {number + 1}")
            ws.ask(url, env, found)
            found.runs += 1
    finally:
        server.kill()
        server.wait()
    return found, f"{found.cut_short} of {runs} ingests cut short, the rest finished first"


# ---- a full disk, a read-only disk -----------------------------------------------------------------------
def mount(*args: str) -> str:
    """Run `mount ARGS`; "" when it worked, else why not."""
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    return "" if done.returncode == 0 else (done.stderr.strip() or f"mount exit {done.returncode}")


@contextlib.contextmanager
def tmpfs(where: Path, size_mb: int) -> Iterator[str]:
    """A real tmpfs mounted at `where` for the block; yields "" or why it could not be mounted."""
    where.mkdir(parents=True, exist_ok=True)
    why = mount("-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(where))
    try:
        yield why
    finally:
        if not why:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def big_folder(ws: Workspace, name: str) -> Path:
    """More text than a nearly full disk holds as vectors and BM25."""
    folder = ws.root / name
    folder.mkdir()
    for number, paragraph in enumerate(ws.reserve[:40]):
        (folder / f"big-{number:02d}.txt").write_text((paragraph.file_text + "\n") * 12, encoding="utf-8")
    ws.reserve = ws.reserve[40:]
    return folder


def check_refusal(ran_stderr: str, code: int, said: str, found: Findings, where: str) -> None:
    """A refused write: non-zero exit, one line naming what it is, no advice to delete."""
    lines = [line for line in ran_stderr.splitlines() if line.strip()]
    if code == 0 or len(lines) != 1 or said not in lines[0] or "delete" in ran_stderr:
        found.problem(f"{where}: exit {code}, wanted one line with {said!r} and no 'delete': {lines[-3:]}")


def used_mb(where: Path) -> int:
    stat = os.statvfs(where)
    return 1 + (stat.f_blocks - stat.f_bfree) * stat.f_frsize // 1_000_000


def full_disk(ws: Workspace) -> tuple[Findings, str]:
    """An ingest into an index whose tmpfs fills up, then the same disk given room again."""
    found = Findings()
    disk = ws.root / "full-disk"
    small, big = ws.folder("full-small", 4), big_folder(ws, "full-big")
    index = str(disk / "index")
    env = qa_environment(QA_INGEST_WINDOW="8")
    with tmpfs(disk, 64) as why:
        if why:
            return found, f"skipped: cannot mount a tmpfs ({why})"
        check_command(run_qa("ingest", str(small), "--index", index, env=env), found)
        if (why := mount("-o", f"remount,size={used_mb(disk) + 1}m", str(disk))):
            return found, f"skipped: cannot shrink the tmpfs ({why})"
        full = run_qa("ingest", str(small), str(big), "--index", index, env=env)
        check_command(full, found)
        check_refusal(full.stderr, full.code, f"disk full at {index}", found, "full disk")
        asked = run_qa("ask", "--json", "--index", index, ws.questions[0], env=env)
        check_command(asked, found)  # answers, or says in one line why not
        if asked.code != 0:
            check_refusal(asked.stderr, asked.code, f"disk full at {index}", found, "ask on the full disk")
        mount("-o", "remount,size=64m", str(disk))  # space freed
        recover_and_check([small, big], index, good_files_of(small, big), env, found, "space freed")
        ws.ask(index, env, found)
        found.runs += 1
    return found, "" if asked.code == 0 else "`qa ask` on the full disk: says disk full"


def read_only_index(ws: Workspace) -> tuple[Findings, str]:
    """An ingest into an index on a read-only disk, an ask of it, then the disk made writable."""
    found = Findings()
    disk = ws.root / "ro-disk"
    small, more = ws.folder("ro-small", 4), ws.folder("ro-more", 6, with_corpus=False)
    index = str(disk / "index")
    env = qa_environment(QA_INGEST_WINDOW="8")
    with tmpfs(disk, 64) as why:
        if why:
            return found, f"skipped: cannot mount a tmpfs ({why})"
        check_command(run_qa("ingest", str(small), "--index", index, env=env), found)
        if (why := mount("-o", "remount,ro", str(disk))):
            return found, f"skipped: cannot remount read-only ({why})"
        refused = run_qa("ingest", str(small), str(more), "--index", index, env=env)
        check_command(refused, found)
        check_refusal(refused.stderr, refused.code, f"index at {index} is read-only", found, "read-only")
        asked = run_qa("ask", "--json", "--index", index, ws.questions[0], env=env)
        check_command(asked, found)  # answers, or says in one line why not
        if asked.code != 0:
            check_refusal(asked.stderr, asked.code, f"index at {index} is read-only", found, "ask, read-only")
        note = "" if asked.code == 0 else "`qa ask` on the read-only index: says read-only"
        mount("-o", "remount,rw", str(disk))
        recover_and_check([small, more], index, good_files_of(small, more), env, found, "made writable")
        ws.ask(index, env, found)
        found.runs += 1
    return found, note


def good_files_of(*folders: Path) -> list[Path]:
    from evals.faults import good_files

    return good_files(*folders)
