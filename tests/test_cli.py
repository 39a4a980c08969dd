"""The `qa` command driven as a user drives it: a subprocess, real index, real model."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from config.settings import PROJECT_ROOT, Settings
from index.store import CHUNKS
from qa.render import CLOSEST
from tests.conftest import CORPUS

QA = [sys.executable, "-m", "cli"]  # the `qa` console script


def run_qa(*args: str, stdin: str | None = None, cwd: Path = PROJECT_ROOT, env: dict | None = None):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [*QA, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )


def assert_one_line_error(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("qa: ") and "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def verify(passage: dict, cwd: Path = PROJECT_ROOT) -> None:
    text = (cwd / passage["source"]).read_bytes().decode("utf-8")
    assert text[passage["start"] : passage["end"]] == passage["text"]
    assert text.count("\n", 0, passage["start"]) + 1 == passage["line"]
    if passage["answer"]:
        assert passage["start"] <= passage["answer"]["start"] < passage["answer"]["end"] <= passage["end"]


def test_ask_puts_the_2003_passage_first_with_a_checkable_citation(corpus_settings: Settings) -> None:
    result = run_qa("ask", "when were talks suspended?", "--json", "--index", corpus_settings.index)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    first = answer["passages"][0]
    assert answer["abstained"] is False
    assert first["source"] == "corpus/2014-07-voa-us-committed-to-legal-cuban-migration.txt"
    assert "were suspended in 2003" in first["text"]
    assert first["text"][first["answer"]["start"] - first["start"] : first["answer"]["end"] - first["start"]] == "2003"
    for passage in answer["passages"]:
        verify(passage)
        assert len(passage["text"]) < 600  # a quotable passage, not a whole chunk


def test_an_unanswered_question_says_what_the_closest_passage_lacks(corpus_settings: Settings) -> None:
    """Under the project's calibrated threshold, a count the articles never give is not answered,
    and the one line says why: no number, and the question's rarest words are not there."""
    result = run_qa("ask", "how many cubans did the coast guard intercept at sea in 2022", "--index",
                    corpus_settings.index, env={"QA_SETTINGS": str(PROJECT_ROOT / "qa.toml")})
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("The documents do not answer this: the closest passage holds no number and does "
                            "not mention “"), first
    assert "“coast”" in first and first.endswith(CLOSEST)


def test_bad_passage_counts_long_questions_and_empty_indexes_get_one_clear_line(
        corpus_settings: Settings, tmp_path: Path) -> None:
    for count in ("0", "-1", "many"):
        result = run_qa("ask", "--top-k", count, "when were talks suspended?", "--index", corpus_settings.index)
        assert result.returncode == 2 and f"{count!r} is not a number of passages from 1 to 50" in result.stderr
    assert_one_line_error(run_qa("ask", "why " * 300, "--index", corpus_settings.index),
                          "question of 1,199 characters", "under 1,000")  # spaces collapsed, ends trimmed
    empty = tmp_path / "empty-index"
    (tmp_path / "empty-folder").mkdir()
    run_qa("ingest", str(tmp_path / "empty-folder"), "--index", str(empty))  # an index with no documents
    assert_one_line_error(run_qa("ask", "who?", "--index", str(empty)),
                          f"index at {empty} holds no documents", f"qa ingest --index {empty} FOLDER")
    assert_one_line_error(run_qa("ask", "who?", "--index", str(tmp_path / "nope")),
                          f"qa ingest --index {tmp_path / 'nope'} FOLDER")


def test_an_answer_that_misses_the_questions_year_says_so_first(corpus_settings: Settings) -> None:
    """Given (threshold 0), the 2014 passage answers a question about 2018 only with a warning; asked who
    did it, no threshold gives the 2014 leader for 2018: the line says who the passage names, and when."""
    result = run_qa("ask", "when were the talks suspended in 2018?", "--index", corpus_settings.index,
                    env={"QA_ABSTAIN_THRESHOLD": "0"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Check before quoting: the first passage does not mention “2018”.", lines[0]
    assert lines[1].startswith("1. 2014-07 · corpus/")
    result = run_qa("ask", "who led the u.s. delegation in 2018?", "--index", corpus_settings.index,
                    env={"QA_ABSTAIN_THRESHOLD": "0"})
    assert result.stdout.splitlines()[0] == (
        "The documents do not answer this: the closest passage says “Alex Lee” led the U.S. delegation at "
        "another time, and no passage of 2018 says who led the u.s. delegation. Closest passages, not an answer:")


def test_ask_on_a_terminal_shows_citation_and_marks_the_answer(corpus_settings: Settings) -> None:
    result = run_qa("ask", "when were talks suspended?", "--index", corpus_settings.index)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # the document's date first (from its file name), then the citation
    assert lines[0] == "1. 2014-07 · corpus/2014-07-voa-us-committed-to-legal-cuban-migration.txt:25"
    assert "**2003**" in result.stdout


def test_questions_from_standard_input_get_one_json_line_each_asked_on_their_own(
    corpus_settings: Settings,
) -> None:
    stdin = "when were talks suspended?\n\nwho led the 2022 talks for the United States?\nand for cuba?\n"
    result = run_qa("ask", "--json", "--index", corpus_settings.index, stdin=stdin)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[1] == {"question": "", "error": lines[1]["error"]} and "empty question" in lines[1]["error"], \
        "a blank line gets its line too, so answers stay beside their questions"
    answers = [lines[0], *lines[2:]]
    assert [a["question"] for a in answers] == [
        "when were talks suspended?",
        "who led the 2022 talks for the United States?",
        "and for cuba?",
    ]
    assert [a["query"] for a in answers] == [a["question"] for a in answers], "a batch is not a conversation"
    for answer in answers:
        for passage in answer["passages"]:
            verify(passage)
    # asked as one conversation, the follow-up leans on the question before it
    chained = run_qa("ask", "--json", "--conversation", "--index", corpus_settings.index, stdin=stdin)
    last = json.loads(chained.stdout.splitlines()[-1])
    assert last["query"] != "and for cuba?" and "2022" in last["query"]


def test_a_json_batch_answers_every_line_even_bad_bytes_and_rejected_questions(corpus_settings: Settings) -> None:
    long_question = "why " * 300
    stdin = b"when were talks \xff suspended?\n" + long_question.encode() + b"\nwho led the Cuban delegation?\n"
    result = subprocess.run([*QA, "ask", "--json", "--index", corpus_settings.index], input=stdin,
                            capture_output=True, cwd=PROJECT_ROOT, timeout=300, env={**os.environ, "NO_COLOR": "1"})
    assert b"Traceback" not in result.stderr
    lines = result.stdout.decode("utf-8").splitlines()
    assert len(lines) == 3, "one JSON line per question, in order"
    first, rejected, third = (json.loads(line) for line in lines)
    assert first["question"] == "when were talks \ufffd suspended?" and "2003" in first["passages"][0]["text"]
    assert rejected["question"] == long_question and rejected["error"].startswith("question of 1,199 characters")
    assert third["question"] == "who led the Cuban delegation?" and third["passages"]
    assert result.returncode == 1  # one question was rejected


def test_json_lines_escape_the_characters_that_split_lines(tmp_path: Path) -> None:
    from qa.cli import json_line

    line = json_line({"text": "a\u2028b\u0085c\u2029d"})
    assert len(line.splitlines()) == 1 and json.loads(line) == {"text": "a\u2028b\u0085c\u2029d"}


def test_ingest_says_how_many_lines_it_left_out_and_verbose_says_where(tmp_path: Path) -> None:
    # lines that read as no prose (a saved page's menu, a bare link) are not indexed: not silently
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "page.txt").write_text("Home\nNews\nContact us\n\nThe harbour bridge was closed for repairs in March "
                                   "2019 by the council.\n\nhttps://example.org/bridges\n")
    (docs / "notes.txt").write_text("The ferry ran every hour while the bridge was shut, from the old quay.\n")
    index = str(tmp_path / "index")
    result = run_qa("ingest", str(docs), "--index", index, "-v")
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert any(line.startswith("added") and line.endswith("page.txt  (4 of 5 lines left out: not prose)")
               for line in lines), result.stdout
    assert any(line.startswith("added") and line.endswith("notes.txt") for line in lines), result.stdout
    assert "Left out 4 of 6 lines that read as no prose" in result.stdout
    again = run_qa("ingest", str(docs), "--index", index)
    assert "Left out" not in again.stdout  # nothing was read again


def test_bad_questions_and_indexes_get_one_clear_line(tmp_path: Path, corpus_settings: Settings) -> None:
    assert_one_line_error(run_qa("ask", "   ", "--index", corpus_settings.index), "empty question")
    assert_one_line_error(run_qa("ask", "hello?", "--index", str(tmp_path / "none")), "no index at", "qa ingest")
    assert_one_line_error(run_qa("ask", "hello?", "--index", "http://127.0.0.1:9"), "does not answer", "chroma run")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    assert_one_line_error(run_qa("ask", "hello?", "--index", str(broken)), str(broken), "qa ingest")


def test_ingest_reports_a_summary_and_skips_bad_files(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Bridges\n\nThe harbour bridge was closed for repairs in March 2019 by the council.\n")
    (docs / "b.txt").write_bytes(b"\xff\xfe not utf-8 \x00\x00")
    index = str(tmp_path / "index")
    result = run_qa("ingest", str(docs), "--index", index)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Indexed {index}: 1 added, 0 changed, 0 removed, 0 unchanged, 1 skipped;")
    assert "b.txt: binary file" in result.stderr and "Traceback" not in result.stderr
    again = run_qa("ingest", str(docs), "--index", index)
    assert "0 added, 0 changed, 0 removed, 1 unchanged" in again.stdout and "0 chunks embedded" in again.stdout
    answer = json.loads(run_qa("ask", "when was the bridge closed?", "--json", "--index", index).stdout)
    assert answer["passages"][0]["text"].startswith("The harbour bridge was closed")
    assert_one_line_error(
        run_qa("ingest", str(tmp_path / "nothing-here"), "--index", index), "nothing-here: no such file"
    )
    (tmp_path / "empty-folder").mkdir()
    assert_one_line_error(run_qa("ingest", str(tmp_path / "empty-folder"), "--index", index), "nothing to index")


def _many_documents(folder: Path, count: int) -> None:
    sentences = [
        line.strip()
        for path in sorted(CORPUS.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").split(". ")
        if len(line.split()) > 8 and "\n" not in line
    ]
    folder.mkdir()
    for i in range(count):
        picked = [sentences[(i * 7 + j) % len(sentences)] for j in range(12)]
        (folder / f"doc-{i:04d}.txt").write_text(f"Report {i}.\n\n" + ". ".join(picked) + ".\n", encoding="utf-8")


def _stored_vectors(index: Path) -> int:
    """The chunks stored so far (not the texts or parses an ingest keeps before them)."""
    try:
        with sqlite3.connect(f"file:{index / 'chroma.sqlite3'}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute(
                "select count(*) from embeddings e join segments s on e.segment_id = s.id "
                "join collections c on s.collection = c.id where c.name = ?", (CHUNKS,)).fetchone()[0])
    except sqlite3.Error:
        return 0


def test_an_ingest_killed_midway_leaves_an_index_that_answers_correctly(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _many_documents(docs, 160)
    index = tmp_path / "index"
    process = subprocess.Popen(
        [*QA, "ingest", str(docs), "--index", str(index)],
        env={**os.environ, "QA_INGEST_WINDOW": "64"},
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 240
    while _stored_vectors(index) == 0 and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert process.poll() is None, "ingest finished before it could be interrupted"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    answered = run_qa(
        "ask", "--json", "--index", str(index), stdin="when were talks suspended?\nwho led the Cuban delegation?\n"
    )
    assert answered.returncode == 0, answered.stderr
    for line in answered.stdout.splitlines():
        for passage in json.loads(line)["passages"]:
            verify(passage)

    resumed = run_qa("ingest", str(docs), "--index", str(index))
    assert resumed.returncode == 0, resumed.stderr
    added = int(resumed.stdout.split(": ", 1)[1].split(" added")[0])
    assert 0 < added <= 160  # files whose manifest entry was written before the kill are not redone
    final = run_qa("ingest", str(docs), "--index", str(index))
    assert "160 unchanged" in final.stdout and "0 chunks embedded" in final.stdout
