"""Rough edges a new user hit, each pinned by a test (issue 14)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_dev_sh_passes_the_apps_options_through() -> None:
    shown = subprocess.run(["bash", str(ROOT / "dev.sh"), "--help"], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "--index DIR|URL" in shown.stdout and "usage: tui.py" in shown.stdout
