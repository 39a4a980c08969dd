"""`qa`, the console script: one parser tree. The product's commands (`qa ingest`, `ask`, `show`, `mcp`)
come from qa/cli.py; the evals, benchmarks and training (`qa eval`, `qa bench NAME`, `qa train reader`)
are added here at the edge, so that the product's layers never import evals/ or models/
(tests/test_import_hygiene.py).

Each eval, benchmark and trainer is a module with `add_arguments(parser)` and `command(args)`; only the
one named on the command line is imported (a cold `qa ask` imports none of them).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from qa import cli as product


@dataclass(frozen=True)
class Command:
    """One command of the evals' side of the tree: `qa GROUP [NAME]`, run by `module.command(args)`."""

    group: str
    name: str
    module: str
    help: str


COMMANDS = (
    Command("eval", "", "evals.run", "run the known-question evals and their gate"),
    Command("bench", "squad", "evals.squad", "quality on SQuAD v1.1 dev, beside Haystack and txtai"),
    Command("bench", "natural", "evals.natural.bench", "quality on documentation nobody here wrote"),
    Command("bench", "speed", "evals.speed", "ingest and answer speed, memory"),
    Command("bench", "app", "evals.app_speed", "the app's start-up and answers, headless"),
    Command("bench", "formats", "evals.formats", "reading PDFs, web pages and Word files"),
    Command("bench", "manuals", "evals.manuals", "documentation as shipped, read whole"),
    Command("bench", "scale", "evals.scale", "ingest and answering at 1,000 to 50,000 chunks"),
    Command("bench", "timeline", "evals.timeline_heldout", "timelines on Debian changelogs"),
    Command("bench", "faults", "evals.faults", "kills, concurrent ingests and hostile files"),
    Command("bench", "ocr", "evals.ocr_bench", "scanned pages read by Tesseract"),
    Command("bench", "mcp", "evals.mcp_bench", "the MCP server's answers and speed"),
    Command("train", "reader", "models.reader.train", "retrain the reading model (models/reader/)"),
)
GROUPS = {"eval": "run the known-question evals (`qa eval --help`)",
          "bench": "benchmarks: `qa bench NAME --help`",
          "train": "retrain a shipped model: `qa train reader`"}


def _add(parser: argparse.ArgumentParser, command: Command, named: bool, given: list[str]) -> None:
    """Give `parser` the command's options (importing its module only when the line names it)."""
    if not named:
        return
    module = importlib.import_module(command.module)
    module.add_arguments(parser)
    parser.set_defaults(run=module.command, given=given)


def evals_commands(argv: Sequence[str]) -> product.AddCommand:
    """The `eval`, `bench` and `train` branches of the tree, for the line `argv`."""
    argv = list(argv)

    def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        for group, help_text in GROUPS.items():
            members = [c for c in COMMANDS if c.group == group]
            if members[0].name == "":  # a command without names under it: `qa eval`
                parser = sub.add_parser(group, help=help_text, description=members[0].help)
                _add(parser, members[0], argv[:1] == [group], argv[1:])
                continue
            parser = sub.add_parser(group, help=help_text, description=help_text)
            names = parser.add_subparsers(dest="name", metavar="NAME", required=True)
            for command in members:
                child = names.add_parser(command.name, help=command.help, description=command.help)
                _add(child, command, argv[:2] == [group, command.name], argv[2:])

    return add


def main(argv: Sequence[str] | None = None) -> int:
    """Every `qa` command; the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return product.main(argv, commands=(evals_commands(argv),))


if __name__ == "__main__":
    sys.exit(main())
