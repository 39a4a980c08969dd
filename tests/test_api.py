"""The Python API as a script uses it: the README's example run as written, and the records it gets."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import qa
from config.settings import PROJECT_ROOT, Settings


def readme_example() -> str:
    """The Python block of the README's "From Python" section."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### From Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_readme_example_runs_and_prints_the_cited_answer(corpus_settings: Settings, tmp_path: Path) -> None:
    code = readme_example()
    assert len([line for line in code.splitlines() if line.strip()]) == 5
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path, env={**os.environ, "QA_INDEX": corpus_settings.index}, check=False)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert re.match(r"\S*2014-07-voa-us-committed-to-legal-cuban-migration\.txt:\d+ 2003$", first), result.stdout


def test_open_ask_show_and_sources_give_frozen_records(corpus_settings: Settings) -> None:
    assistant = qa.open(corpus_settings.index, reader=False)
    assert isinstance(assistant, qa.Assistant)
    answer = assistant.ask("when were talks suspended?")
    assert isinstance(answer, qa.Answer) and not answer.abstained
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.abstained = True  # type: ignore[misc]
    first = answer.passages[0]
    shown = assistant.show(first.citation)
    assert isinstance(shown, qa.ShownText) and shown.line == first.citation.line
    assert first.text.split()[0] in shown.cited and "2003" in shown.cited
    documents = assistant.sources()
    assert len(documents) == 5 and all(isinstance(d, qa.IndexedDocument) for d in documents)
    assert {d.format for d in documents} == {"text"} and all(d.passages > 0 for d in documents)
    assert [d.date for d in documents if "2015-12-01" in d.source] == ["2015-12-01"]


def test_an_index_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(qa.QAError, match=r"^no index at .*: build it with `qa ingest"):
        qa.open(tmp_path / "nothing")
