"""The terminal assistant: ask the documents a question, read the cited passages, open the source.

    python tui.py [--index DIR|URL] [--top-k K]

The window opens at once; the index and the model load in a worker thread while the question box is
already usable (a question asked before they are ready waits, then runs). A missing index at the
default location is built from the bundled corpus, with a progress bar. The app itself lives in
`ui/` (`ui.app.make_app`); `qa bench app` times it headless (`evals.app_speed`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from config.settings import SettingsError, load_settings


def main(argv: Sequence[str] | None = None) -> int:
    """Open the app; the exit status."""
    parser = argparse.ArgumentParser(
        prog="tui.py",
        description="Ask questions of your documents in the terminal; read cited, verbatim passages.",
    )
    parser.add_argument("--index", metavar="DIR|URL",
                        help="index directory or Chroma server URL (http://HOST:PORT); default: $QA_INDEX or .qa/index")
    parser.add_argument("--root", metavar="DIR",
                        help="the corpus folder on this machine, for an index shared by a team (default: $QA_ROOT)")
    parser.add_argument("--top-k", type=int, metavar="K", help="passages per answer (default 3)")
    parser.add_argument("--no-reader", action="store_true",
                        help="answer without the reading model (retrieval and answer rules only; $QA_READER=0)")
    args = parser.parse_args(argv)
    if args.top_k is not None and args.top_k < 1:
        parser.error("--top-k must be at least 1")
    try:
        settings = load_settings(index=args.index, top_k=args.top_k, root=args.root,
                                 reader=False if args.no_reader else None)
    except SettingsError as error:
        print(f"tui.py: {error}", file=sys.stderr)
        return 2
    from ui.app import make_app

    app = make_app(settings)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    status = main()
    # The terminal is restored by now. Leave at once: a worker may still be loading the model or
    # indexing (its thread would be waited for), and unloading torch and Chroma takes a second.
    # History and exports are closed by now; an index build cut short resumes on the next start
    # (a file counts as indexed only once all its chunks are stored).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
