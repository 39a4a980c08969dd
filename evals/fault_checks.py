"""The checks `qa bench faults` makes after every fault: each passage verbatim, no chunk lost, BM25
equal to Chroma, no traceback. Plain functions over real `qa` commands run as subprocesses, each
adding what it found to a `Findings`.

The index is inspected by a fresh process (`python -m evals.fault_checks INDEX`), so this process
never holds a Chroma client of its own while the commands under test write to the same database.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from config.settings import PROJECT_ROOT

PLAIN = (".txt", ".md", ".markdown")
MARKS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
HUNG = "(faults: killed: it hung)"
EMBEDDED = re.compile(r"(\d+) chunks embedded, (\d+) in the index")


@dataclass
class Findings:
    """What the checks found over the runs of one scenario."""

    runs: int = 0
    cut_short: int = 0  # runs whose command the fault stopped before it finished (the rest finished first)
    commands: int = 0
    passages: int = 0
    lost: int = 0
    misquotes: int = 0
    tracebacks: int = 0
    bm25: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        """Note one problem in words (the first few of each scenario are shown under the table)."""
        self.problems.append(text)


@dataclass(frozen=True)
class Ran:
    """One finished `qa` command."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def shown(self) -> str:
        return "qa " + " ".join(os.fsdecode(a) if isinstance(a, bytes) else a for a in self.args)[:160]


def qa_environment(**extra: str) -> dict[str, str]:
    """The environment of every command under test: this checkout first on the path, no colour."""
    path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "NO_COLOR": "1", "HF_HUB_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False", **extra}


def qa_command(*args: str | bytes) -> list[str | bytes]:
    return [sys.executable, "-m", "cli", *args]


def start_qa(args: tuple[str | bytes, ...], env: dict[str, str], stdin: bool = False) -> subprocess.Popen[bytes]:
    """A `qa` command started, its output captured as bytes."""
    return subprocess.Popen(qa_command(*args), cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                            preexec_fn=heed_interrupts)


def heed_interrupts() -> None:
    """In the child: SIGINT back to its default, so Python raises KeyboardInterrupt on it. A suite
    started in the background (`&`, nohup, some CI runners) has SIGINT ignored, and its children
    would inherit that and never see the Ctrl-C sent to them."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def finish(process: subprocess.Popen[bytes], args: tuple[str | bytes, ...], began: float, stdin: bytes | None = None,
           timeout: float = 900) -> Ran:
    """Wait for a started command; what it printed and how it ended."""
    try:
        out, err = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        err += f"\n{HUNG} ({timeout:.0f} s)".encode()
    return Ran(tuple(os.fsdecode(a) if isinstance(a, bytes) else a for a in args), process.returncode,
               out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), time.perf_counter() - began)


def run_qa(*args: str | bytes, env: dict[str, str], stdin: bytes | None = None, timeout: float = 900) -> Ran:
    """Run one `qa` command to its end."""
    began = time.perf_counter()
    return finish(start_qa(args, env, stdin is not None), args, began, stdin, timeout)


def check_command(ran: Ran, found: Findings, killed: bool = False) -> None:
    """No traceback; a command that failed (and was not killed -9) says why in one last `qa: ...` line."""
    found.commands += 1
    if HUNG in ran.stderr:
        found.problem(f"`{ran.shown}` hung: killed after its time limit")
    elif "Traceback" in ran.stderr:
        found.tracebacks += 1
        found.problem(f"traceback from `{ran.shown}`: {ran.stderr.strip().splitlines()[-1][:200]}")
    elif ran.code not in (0, -9) and not killed:
        lines = [line for line in ran.stderr.splitlines() if line.strip()]
        if not lines or not lines[-1].startswith("qa: "):
            found.problem(f"`{ran.shown}` exited {ran.code} without a `qa: ...` line: {lines[-1:]}")


# ---- verbatim ------------------------------------------------------------------------------------------
def canonical_text(source: str) -> str | None:
    """A cited file's text as a reader of the citation gets it: plain text decoded from its bytes
    (UTF-8, or the codec its byte-order mark names; no newline translation), other formats
    re-extracted; None when the file cannot be read."""
    path = Path(source)
    try:
        if path.suffix.lower() in PLAIN:
            data = path.read_bytes()
            codec = next((c for mark, c in MARKS if data.startswith(mark)), "utf-8")
            return data.decode(codec)
        from index.documents.read import read_document

        return read_document(path, 1 << 40).text
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    except Exception:  # an UnreadableFile: no text to quote from
        return None


def check_answers(ran: Ran, found: Findings, texts: dict[str, str | None] | None = None) -> int:
    """Every passage (and dated line) in `qa ask --json` output equals its file's text at
    [start, end); returns the JSON lines read."""
    texts = {} if texts is None else texts
    lines = 0
    for line in ran.stdout.splitlines():
        if not line.strip():
            continue
        try:
            answer = json.loads(line)
        except ValueError:
            found.problem(f"`{ran.shown}`: a line of output is not JSON: {line[:120]!r}")
            continue
        lines += 1
        for passage in answer.get("passages", []):
            quoted = [(passage["text"], passage["source"], passage["start"], passage["end"])]
            if passage.get("dated"):
                dated = passage["dated"]
                quoted.append((dated["text"], dated["source"], dated["start"], dated["end"]))
            for text, source, start, end in quoted:
                found.passages += 1
                if source not in texts:
                    texts[source] = canonical_text(source)
                whole = texts[source]
                if whole is None or whole[start:end] != text:
                    found.misquotes += 1
                    found.problem(f"misquote: {source}[{start}:{end}] is not {text[:60]!r} "
                                  f"(question {answer.get('question', '')[:60]!r})")
    return lines


def ask_batch(index: str, questions: list[str | bytes], env: dict[str, str], found: Findings) -> Ran:
    """Questions through the stdin batch (`qa ask --json`), one per line: each gets one JSON line,
    every passage verbatim."""
    data = b"".join((q if isinstance(q, bytes) else q.encode("utf-8", "surrogateescape")) + b"\n" for q in questions)
    ran = run_qa("ask", "--json", "--index", index, env=env, stdin=data)
    check_command(ran, found)
    asked = data.count(b"\n")  # a line for every line, a blank one's an error line
    answered = check_answers(ran, found)
    if "Traceback" not in ran.stderr and answered != asked and ran.code in (0, 1):
        said = (ran.stderr.strip().splitlines() or ["nothing on stderr"])[-1][:200]
        found.problem(f"`{ran.shown}`: {asked} questions asked, {answered} JSON lines back (exit {ran.code}: {said})")
    return ran


# ---- the index: lost chunks, manifest, BM25 ------------------------------------------------------------
INSPECT_TIMEOUT = 300


def inspect_index(index: str, env: dict[str, str]) -> dict[str, object]:
    """What the index holds, read by a fresh process: manifest, chunks per source, ids, BM25 copy."""
    result = subprocess.run([sys.executable, "-m", "evals.fault_checks", index], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, env=env, timeout=INSPECT_TIMEOUT)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return {"error": last}
    return dict(json.loads(result.stdout))


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_bm25(held: dict[str, object], found: Findings, where: str, claimed_only: bool = False) -> None:
    """The BM25 copy's chunk ids equal Chroma's. With `claimed_only`, only a copy that says it is up
    to date (its generation is Chroma's) is held to it: after a kill a stale copy is repaired by the
    next command."""
    if claimed_only and held["bm25_generation"] != held["generation"]:
        return
    if held["bm25_ids"] is None:
        found.bm25 += 1
        found.problem(f"{where}: no readable BM25 copy beside the index")
        return
    bm25, chroma = set(held["bm25_ids"]), set(held["ids"])  # type: ignore[call-overload]
    if bm25 != chroma:
        found.bm25 += len(bm25 ^ chroma)
        found.problem(f"{where}: BM25 has {len(bm25 - chroma)} ids Chroma lacks, lacks {len(chroma - bm25)}"
                      f"{' (and claims to be up to date)' if claimed_only else ''}")


def check_index(held: dict[str, object], good: dict[str, int], found: Findings, where: str) -> None:
    """Every good file (source → its chunk count, -1 if not known) is in the manifest with its current
    SHA-256 and all its chunks; Chroma holds exactly the manifest's chunks."""
    if "error" in held:
        found.lost += sum(max(n, 1) for n in good.values())
        found.problem(f"{where}: the index cannot be read: {held['error']}")
        return
    files: dict[str, list[object]] = held["files"]  # type: ignore[assignment]
    counts: dict[str, int] = held["counts"]  # type: ignore[assignment]
    for source, expected in good.items():
        record = files.get(source)
        current = file_sha256(Path(source))
        if record is None or record[0] != current:
            found.lost += max(expected, 1)
            found.problem(f"{where}: {source} {'not in the manifest' if record is None else 'indexed as it was'}")
        elif counts.get(source, 0) < int(record[1]):  # type: ignore[call-overload]
            found.lost += int(record[1]) - counts.get(source, 0)  # type: ignore[call-overload]
            found.problem(f"{where}: {source} has {counts.get(source, 0)} of its {record[1]} chunks")
    for source, record in files.items():  # the other files it holds (fuzzed ones that could be read)
        have, want = counts.get(source, 0), int(record[1])  # type: ignore[call-overload]
        if source not in good and have < want:
            found.lost += want - have
            found.problem(f"{where}: {source} has {have} of its {want} chunks")
    for source in files:
        if not os.path.lexists(source):
            found.problem(f"{where}: {source} is gone from its folder, still in the index")
    total = sum(int(r[1]) for r in files.values())  # type: ignore[call-overload]
    if held["total"] != total or any(counts.get(s, 0) != int(r[1]) for s, r in files.items()):  # type: ignore[call-overload]
        found.problem(f"{where}: Chroma holds {held['total']} chunks, the manifest {total}")


def recover_and_check(paths: list[Path], index: str, good: list[Path], env: dict[str, str], found: Findings,
                      where: str) -> dict[str, object]:
    """After a fault: a clean `qa ingest` of the same folders embeds exactly what the index lacked,
    then every good file is whole and BM25 equals Chroma, and a second ingest embeds nothing."""
    before = inspect_index(index, env)
    if "error" not in before:
        check_bm25(before, found, f"{where}, after the fault", claimed_only=True)
    ran = run_qa("ingest", *map(str, paths), "--index", index, env=env)
    check_command(ran, found)
    if ran.code != 0:
        found.problem(f"{where}: the clean re-ingest failed (exit {ran.code}): {ran.stderr.strip()[-200:]}")
    held = inspect_index(index, env)
    check_index(held, {str(p): -1 for p in good}, found, f"{where}, after re-ingesting")
    if "error" in held:
        return held
    check_bm25(held, found, f"{where}, after re-ingesting")
    embedded = EMBEDDED.search(ran.stdout)
    old = {} if "error" in before else before["files"]
    owed = sum(int(r[1]) for s, r in held["files"].items() if old.get(s, [None])[0] != r[0])  # type: ignore[union-attr, index]
    if embedded is None or int(embedded.group(1)) != owed:
        found.problem(f"{where}: the re-ingest embedded {embedded.group(1) if embedded else '?'} chunks; "
                      f"the files it completed hold {owed}")
    again = run_qa("ingest", *map(str, paths), "--index", index, env=env)
    check_command(again, found)
    embedded = EMBEDDED.search(again.stdout)
    if embedded is None or embedded.group(1) != "0":
        found.problem(f"{where}: a second re-ingest embedded {embedded.group(1) if embedded else '?'} chunks, not 0")
    return held


def inspect(index: str) -> dict[str, object]:
    """The index's manifest, chunk counts by source, chunk ids, and its saved BM25 copy."""
    from config.settings import load_settings
    from index.lexical import LexicalIndex, bm25_dir
    from index.store import Store

    settings = load_settings(index=index)
    store = Store(settings)
    files = {s: [r.sha256, r.chunks] for s, r in store.file_records().items()}
    got = store.chunks.get(include=["metadatas"])
    lexical = LexicalIndex.load(bm25_dir(settings))
    return {"files": files, "counts": dict(Counter(m["source"] for m in got["metadatas"])), "total": store.count(),
            "ids": store.chunk_ids(), "generation": store.generation(),
            "bm25_generation": LexicalIndex.saved_generation(bm25_dir(settings)),
            "bm25_ids": None if lexical is None else lexical.ids}


if __name__ == "__main__":
    print(json.dumps(inspect(sys.argv[1])))
