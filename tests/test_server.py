"""A team can share one index served by `chroma run`: same commands, same answers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.errors import IndexUnreachable
from config.settings import Settings
from index.ingest import ingest
from index.store import Store
from qa import render
from qa.engine import Assistant
from tests.conftest import CORPUS

CHROMA = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real `chroma run` on 127.0.0.1, stopped after the test."""
    if CHROMA is None:
        pytest.fail("the chroma command is missing: pip install chromadb")
    port = free_port()
    log = (tmp_path / "chroma.log").open("w")
    process = subprocess.Popen(
        [CHROMA, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                Store(Settings(index=url), create=True)
                break
            except IndexUnreachable:
                if time.time() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_a_chroma_server_index_gives_the_same_answers_as_a_local_one(
    chroma_server: str,
    corpus_settings: Settings,
    assistant: Assistant,
    encoder,  # type: ignore[no-untyped-def]
) -> None:
    remote = Settings(index=chroma_server)
    report = ingest([CORPUS], remote, encoder)
    assert len(report.added) == 5 and report.chunks_total == Store(corpus_settings).count()
    again = ingest([CORPUS], remote, encoder)
    assert len(again.unchanged) == 5 and again.chunks_embedded == 0

    served = Assistant.open(remote, encoder)
    for question in [
        "when were talks suspended?",
        "who led the Cuban delegation in 2015?",
        "how many travel documents?",
    ]:
        local_answer, remote_answer = assistant.ask(question), served.ask(question)
        assert [(p.citation, p.text) for p in remote_answer.passages] == [
            (p.citation, p.text) for p in local_answer.passages
        ]
    assert "suspended in 2003" in served.ask("when were talks suspended?").passages[0].text
    # the parses made at ingest live on the server too: a constraint is judged there as here
    assert report.parsed == 5 and again.parsed == 0
    question = "who led the cuban delegation at the 2010 havana talks?"
    local_answer, remote_answer = assistant.ask(question), served.ask(question)
    assert remote_answer.abstained and remote_answer.shortfall == local_answer.shortfall
    assert "says who led the cuban delegation" in render.abstain_line(remote_answer)
