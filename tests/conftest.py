"""Shared real parts: the real model (loaded once), the bundled corpus indexed into a real Chroma
store in a temporary directory, and an assistant over it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from config.settings import PROJECT_ROOT, Settings
from index.embedding import Encoder
from index.encoder_protocol import SentenceEncoder
from index.ingest import ingest

if TYPE_CHECKING:
    from qa.engine import Assistant

CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the developer's own settings file, index or history."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("QA_SETTINGS", str(home / "qa.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    for name in ("QA_INDEX", "QA_MODEL", "QA_TOP_K", "QA_ABSTAIN_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The real all-MiniLM-L6-v2, loaded once for the whole run."""
    return Encoder()


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Settings:
    """Settings whose index holds the bundled corpus (built once, shared read-only)."""
    root = tmp_path_factory.mktemp("corpus-index")
    settings = Settings(index=str(root / "index"))
    ingest([CORPUS], settings, encoder)
    return settings


@pytest.fixture(scope="session")
def assistant(corpus_settings: Settings, encoder: Encoder):  # type: ignore[no-untyped-def]
    """An assistant over the bundled corpus index."""
    from qa.engine import Assistant

    return Assistant.open(corpus_settings, encoder=encoder)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled corpus, for tests that change files."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def assistant_over(tmp_path: Path, encoder: SentenceEncoder, files: dict[str, str]) -> tuple[Assistant, Settings]:
    """An assistant over a folder of `files` (name: text), indexed with `encoder`, and its settings."""
    from qa.engine import Assistant

    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest([folder], settings, encoder)
    return Assistant.open(settings, encoder=encoder), settings
