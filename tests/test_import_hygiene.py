"""The layers import one way only (config/ → index/ → qa/ → ui/, cli.py; evals/ and models/ beside the
top), checked as harlequin does: each module imported in a fresh interpreter, then `sys.modules` looked at."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from config.settings import PROJECT_ROOT

# What each layer must never import, directly or through another module.
FORBIDDEN = {
    "config": ("index", "qa", "evals", "models", "ui", "tui", "cli", "textual"),
    "index": ("qa", "evals", "models", "ui", "tui", "cli", "textual"),
    "qa": ("evals", "models", "ui", "tui", "cli", "textual"),
    "ui": ("evals", "models", "tui", "cli"),
    "tui": ("evals", "models", "cli", "textual"),  # the app loads on use (`ui.app.make_app`), after the window's flags
    # the app's plain parts, tested without Pilot
    "ui.export": ("textual", "evals"),
    "ui.history": ("textual", "evals"),
    "ui.background": ("textual", "evals"),
}

PROBE = """
import importlib, json, sys
found = {}
for name in sys.argv[2:]:
    before = set(sys.modules)
    importlib.import_module(name)
    banned = json.loads(sys.argv[1])
    found[name] = sorted({m for m in set(sys.modules) - before if m.split(".")[0] in banned or m in banned})
print(json.dumps(found))
"""


def modules_of(layer: str) -> list[str]:
    """Every module of a package (from the files, so a new module is checked too), or the one module."""
    path = PROJECT_ROOT / layer.replace(".", "/")
    if not path.is_dir():
        return [layer]
    return sorted(
        ".".join(file.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__")
        for file in path.rglob("*.py")
    )


def imported(banned: tuple[str, ...], modules: list[str]) -> dict[str, list[str]]:
    """For each module, the banned modules that importing it (in a fresh interpreter) brought in."""
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(banned), *modules], capture_output=True,
                            text=True, cwd=PROJECT_ROOT, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_never_imports_the_layers_above_it(layer: str) -> None:
    found = imported(FORBIDDEN[layer], modules_of(layer))
    assert set(found) == set(modules_of(layer))
    assert {module: banned for module, banned in found.items() if banned} == {}


def test_the_probe_sees_an_import_through_another_module() -> None:
    found = imported(("textual", "evals"), ["ui.app", "evals.app_speed"])
    assert "textual" in found["ui.app"], "the app imports textual"
    assert "evals" in found["evals.app_speed"] and "evals.metrics" in found["evals.app_speed"]
