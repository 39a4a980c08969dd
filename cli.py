"""`qa`, the console script: the product's commands (`qa ingest`, `qa ask`, from qa/cli.py) and, added
here at the edge, the evals and benchmarks (`qa eval`,
`qa bench squad|natural|speed|formats|scale|timeline|faults`, from evals/).

Each eval and benchmark module parses its own options. Kept out of qa/ so that the product's layers
never import evals/ (tests/test_import_hygiene.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from qa import cli as product


def command_eval(args: argparse.Namespace) -> int:
    """`qa eval ARGS...` → `evals.run.main`."""
    from evals.run import main as eval_main

    return eval_main(args.rest)


def command_bench(args: argparse.Namespace) -> int:
    """`qa bench squad|natural|speed|formats|scale|timeline|faults ARGS...` → `evals.squad.main`,
    `evals.natural.bench.main`, `evals.speed.main`, ..., `evals.faults.main`."""
    if args.which == "squad":
        from evals.squad import main as squad_main

        return squad_main(args.rest)
    if args.which == "natural":
        from evals.natural.bench import main as natural_main

        return natural_main(args.rest)
    if args.which == "scale":
        from evals.scale import main as scale_main

        return scale_main(args.rest)
    if args.which == "timeline":
        from evals.timeline_heldout import main as timeline_main

        return timeline_main(args.rest)
    if args.which == "manuals":
        from evals.manuals import main as manuals_main

        return manuals_main(args.rest)
    if args.which == "formats":
        from evals.formats import main as formats_main

        return formats_main(args.rest)
    if args.which == "ocr":
        from evals.ocr_bench import main as ocr_main

        return ocr_main(args.rest)
    if args.which == "mcp":
        from evals.mcp_bench import main as mcp_main

        return mcp_main(args.rest)
    if args.which == "app":
        from evals.app_speed import main as app_main

        return app_main(args.rest)
    if args.which == "faults":
        from evals.faults import main as faults_main

        return faults_main(args.rest)
    from evals.speed import main as speed_main

    return speed_main(args.rest)


def command_train(args: argparse.Namespace) -> int:
    """`qa train reader ARGS...` → `models.reader.train.main`."""
    from models.reader.train import main as train_main

    return train_main(args.rest)


def add_train(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `train reader` subcommand (its options are `models.reader.train`'s)."""
    train = sub.add_parser("train", help="retrain a shipped model: `qa train reader` (see its --help)")
    train.add_argument("which", choices=["reader"])
    train.add_argument("rest", nargs=argparse.REMAINDER)
    train.set_defaults(run=command_train)


def add_eval(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `eval` subcommand (its options are `evals.run`'s, passed through)."""
    evaluate = sub.add_parser("eval", help="run the known-question evals (see `qa eval --help`)", add_help=False)
    evaluate.add_argument("rest", nargs=argparse.REMAINDER)
    evaluate.set_defaults(run=command_eval)


def add_bench(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `bench squad|natural|speed|formats|manuals|scale|timeline|faults|ocr|mcp` subcommand."""
    bench = sub.add_parser("bench", help="benchmarks: `qa bench squad` and `qa bench natural` (quality), "
                                         "`qa bench speed`, `qa bench formats`, `qa bench manuals`, "
                                         "`qa bench scale`, `qa bench timeline`, "
                                         "`qa bench faults` (reliability), `qa bench ocr`, `qa bench mcp`, "
                                         "`qa bench app` (the app's start-up)")
    bench.add_argument("which", choices=["squad", "natural", "speed", "formats", "manuals", "scale", "timeline",
                                         "faults", "ocr", "mcp", "app"])
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    bench.set_defaults(run=command_bench)


def main(argv: Sequence[str] | None = None) -> int:
    """Every `qa` command; the exit status."""
    return product.main(argv, commands=(add_eval, add_bench, add_train), passed_through={"eval": command_eval})


if __name__ == "__main__":
    sys.exit(main())
