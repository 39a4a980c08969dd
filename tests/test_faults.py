"""`qa bench faults --quick`, the CI subset of the reliability suite (issue 15), and proof that its
checks see what they look for: a zero in its table means nothing was lost, not nothing was looked at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.settings import Settings
from evals.fault_checks import (
    Findings,
    Ran,
    check_answers,
    check_bm25,
    check_command,
    check_index,
    inspect_index,
    qa_environment,
)
from evals.faults import main
from index.encoder_protocol import SentenceEncoder
from index.ingest import ingest
from index.store import Store


def test_the_quick_fault_suite_loses_no_chunk_and_misquotes_nothing(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    figures = tmp_path / "faults.json"
    assert main(["--quick", "--json", str(figures)]) == 0, capsys.readouterr().out
    rows = json.loads(figures.read_text(encoding="utf-8"))["rows"]
    assert [r["scenario"].split(" ×")[0] for r in rows] == ["kill -9 during ingest", "two ingests at once",
                                                             "20 fuzzed files, 20 fuzzed questions",
                                                             "hostile files (issue 24)"]
    for row in rows:
        assert (row["lost"], row["misquotes"], row["tracebacks"], row["bm25"], row["problems"]) == (0, 0, 0, 0, []), row
        assert row["runs"] >= 1 and row["passages"] > 0, f"{row['scenario']}: nothing was checked"
    table = capsys.readouterr().out
    assert "| kill -9 during ingest × 1 | 1 |" in table and "lost chunks" in table
    assert "aborted 0, hung 0" in table and "raw escapes 0, batch lines lost 0" in table


def test_the_checks_see_a_lost_chunk_a_stale_bm25_a_misquote_and_a_traceback(tmp_path: Path,
                                                                             encoder: SentenceEncoder) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    article = folder / "harbour.txt"
    article.write_text("The Harbour Wall\n\nThe harbour wall was rebuilt in 1998 by four hundred workers.\n",
                       encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest([folder], settings, encoder)
    env = qa_environment()
    whole = Findings()
    check_index(inspect_index(settings.index, env), {str(article): -1}, whole, "whole")
    assert (whole.lost, whole.problems) == (0, [])

    Store(settings).chunks.delete(ids=Store(settings).chunk_ids()[:1])  # a chunk lost behind BM25's back
    found = Findings()
    held = inspect_index(settings.index, env)
    check_index(held, {str(article): -1}, found, "one chunk deleted")
    check_bm25(held, found, "one chunk deleted")
    assert found.lost == 1 and found.bm25 == 1

    text = article.read_text(encoding="utf-8")
    quoted = json.dumps({"question": "when?", "passages": [{"text": "rebuilt in 1999", "source": str(article),
                                                            "start": text.index("rebuilt"), "end": text.index(" by")}]})
    check_answers(Ran(("ask",), 0, quoted + "\n", "", 0.0), found)
    check_command(Ran(("ingest",), 1, "", "Traceback (most recent call last):\n  ...\nValueError: x\n", 0.0), found)
    check_command(Ran(("ingest",), 1, "", "something went wrong\n", 0.0), found)
    assert (found.misquotes, found.passages, found.tracebacks) == (1, 1, 1)
    assert any("without a `qa: ...` line" in problem for problem in found.problems)
