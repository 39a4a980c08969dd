"""One place for every setting: paths, model, chunking, retrieval and answer thresholds.

Values come, in order of precedence, from command-line flags, environment variables
(`QA_INDEX`, `QA_MODEL`, `QA_TOP_K`, ...) and the settings file (`qa.toml` at the project's
root, or the file named by `QA_SETTINGS`), then the defaults below.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "all-MiniLM-L6-v2"
SETTINGS_FILE = PROJECT_ROOT / "qa.toml"

# Settings that change what the index holds: the index records them and rebuilds when they change.
INDEX_KEYS = ("model", "chunk_tokens", "overlap_sentences", "chunker_version")


@dataclass(frozen=True)
class Settings:
    """Everything the indexer, the answerer, the CLI and the TUI need to agree on."""

    index: str = str(PROJECT_ROOT / ".qa" / "index")
    model: str = DEFAULT_MODEL
    encoder: str = "auto"  # how the model runs: auto, onnx-int8, onnx-fp32 or torch (index.embedding)
    chunk_tokens: int = 160
    overlap_sentences: int = 1
    # 2: chunks embedded with their document title in front; 3: sentence vectors too; 4: hard-wrapped lines
    # read as one, labels, list items and sign-offs kept, each sentence's end stored; 5: a line too short to
    # be a wrap's break does not count toward the width a text is wrapped at (a list of names); 6: a list item
    # of two or three words that ends as a sentence does ("- First public release."); 7: a table's row is text
    # however few letters it has ("imap2 | 143 | imaps | 993"); 8: a Markdown link in a heading is its text in the
    # titles of the chunks under it ("[25.4.0](https://...) - 2025-06-02" -> "25.4.0 - 2025-06-02"); 9: a heading
    # alone that dates or numbers a release is a chunk of its own ("24.1.0 - 2024-01-08" above "### Fixed"); 10:
    # it opens the section under it instead, so a passage from it shows what the release did; 11: a section's
    # number ("3.5. /boot : Static files") is no release's
    chunker_version: int = 11
    max_file_mb: float = 5.0
    top_k: int = 3
    reader: bool = True  # the reading model marks the first passages' answers and weighs in on abstaining (qa.reader)
    # Tuned (config.tuning says how values are tuned; these two live here, where a flag or the environment
    # can change them). Chunks each retriever contributes to fusion: `qa bench squad --tune` tried pools of
    # 20, 50 and 100.
    candidates: int = 50
    # Weight of the dense side in z-score fusion (QA_DENSE_WEIGHT): `qa bench squad --tune`, 0.6 once chunks
    # were embedded with their title (commit 3c14aa1).
    dense_weight: float = 0.6
    abstain_threshold: float = 0.0
    # Texts per model batch at ingest. With the int8 graph here 32 encodes 4-5 % more chunks a second than
    # 64, and 16 7-9 % more (smaller activations stay in cache). But int8 activations share one scale per
    # batch, so a chunk's vector moves a little with the texts beside it: rebuilt at 16 (and at 8), the
    # bundled index answered one more unanswerable question and put one answer out of the top 3; at 32
    # `qa eval` gave the figures of 64 exactly (2026-12-04).
    batch_size: int = 32
    ingest_window: int = 256  # chunks embedded, then stored together: what an interruption can lose
    # the suffixes read (index.documents.formats)
    extensions: tuple[str, ...] = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
    # the corpus folder on this machine: files under it are stored relative to it, so that a team sharing
    # one index (a Chroma server) each maps the same sources onto their own copy (index.store.SourcePaths)
    root: str = ""
    # sent as "Authorization: Bearer TOKEN" to a Chroma server behind a token-checking proxy
    chroma_token: str = field(default="", repr=False, compare=False)
    settings_file: str | None = field(default=None, compare=False)

    @property
    def is_remote(self) -> bool:
        """True when the index is a Chroma server URL rather than a directory."""
        return self.index.startswith(("http://", "https://"))

    def index_fingerprint(self) -> dict[str, str | int]:
        """The settings an index is built with, as stored in its metadata."""
        from config.backends import resolve_backend  # the encoder "auto" names on this machine

        return {**{key: getattr(self, key) for key in INDEX_KEYS}, "encoder": resolve_backend(self.encoder)}

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed; `None` values are ignored."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


_ENV = {
    "QA_INDEX": "index",
    "QA_MODEL": "model",
    "QA_ENCODER": "encoder",
    "QA_TOP_K": "top_k",
    "QA_CHUNK_TOKENS": "chunk_tokens",
    "QA_MAX_FILE_MB": "max_file_mb",
    "QA_ABSTAIN_THRESHOLD": "abstain_threshold",
    "QA_DENSE_WEIGHT": "dense_weight",
    "QA_INGEST_WINDOW": "ingest_window",
    "QA_CHROMA_TOKEN": "chroma_token",
    "QA_ROOT": "root",
    "QA_READER": "reader",
}


class SettingsError(Exception):
    """A settings file or variable that cannot be used."""


def _coerce(name: str, value: object) -> object:
    kind = type(getattr(Settings(), name))
    if kind is bool and isinstance(value, str):
        if value.strip().lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise SettingsError(f"setting {name}={value!r}: expected 1 or 0 (true or false)")
        return value.strip().lower() in ("1", "true", "yes", "on")
    try:
        if kind is tuple:
            return tuple(value) if isinstance(value, list) else tuple(str(value).split(","))
        return kind(value)
    except (TypeError, ValueError) as error:
        raise SettingsError(f"setting {name}={value!r}: expected {kind.__name__}") from error


# The XDG base directories qa keeps its own folder in, and their fallbacks under the home folder.
USER_DIRS = {"cache": ("XDG_CACHE_HOME", (".cache",)), "state": ("XDG_STATE_HOME", (".local", "state")),
             "data": ("XDG_DATA_HOME", (".local", "share"))}


def user_dir(kind: str, environ: dict[str, str] | None = None) -> Path:
    """qa's folder of the user's `kind` ("cache", "state" or "data"): $XDG_CACHE_HOME/qa or
    ~/.cache/qa, $XDG_STATE_HOME/qa or ~/.local/state/qa, $XDG_DATA_HOME/qa or ~/.local/share/qa."""
    environ = os.environ if environ is None else environ
    variable, fallback = USER_DIRS[kind]
    return Path(environ.get(variable) or Path.home().joinpath(*fallback)) / "qa"


def settings_path(environ: dict[str, str] | None = None) -> Path:
    """Where the settings file is read from and written to."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("QA_SETTINGS", SETTINGS_FILE))


def load_settings(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Defaults, then the settings file, then the environment, then `overrides` (flags)."""
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    path = settings_path(environ)
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SettingsError(f"{path}: not a valid settings file ({error}); fix or delete it") from error
        known = {f.name for f in dataclasses.fields(Settings)}
        for name, value in data.items():
            if name not in known:
                raise SettingsError(f"{path}: unknown setting {name!r} (known: {', '.join(sorted(known))})")
            values[name] = _coerce(name, value)
    for variable, name in _ENV.items():
        if environ.get(variable):
            values[name] = _coerce(name, environ[variable])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(settings_file=str(path), **values)


def write_setting(name: str, value: float | int | str, environ: dict[str, str] | None = None) -> Path:
    """Set one value in the settings file, keeping the others; returns the file's path."""
    path = settings_path(environ)
    data: dict[str, object] = {}
    if path.is_file():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    data[name] = value
    lines = [f"{key} = {_toml_value(val)}" for key, val in data.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
