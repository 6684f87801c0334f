"""Command line: ``affectflow check`` validates a config's datasets before a long run."""
from __future__ import annotations

import argparse
import sys

from .core import config as config_mod
from .core.checks import ERROR, WARNING, check
from .datasets import DatasetError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="affectflow")
    sub = parser.add_subparsers(dest="command", required=True)
    p_check = sub.add_parser("check", help="validate the config and every dataset's files before a run",
                             description="One row per session: modalities present, durations of media and labels, "
                                         "status and every problem found. Exit status 0: no errors (warnings allowed); "
                                         "1: some session has errors; 2: the config or a manifest is unusable.")
    p_check.add_argument("--configfile", default="config.yaml")
    p_check.add_argument("--quick", action="store_true", help="read media headers only; do not decode audio or scan video packets")
    p_check.add_argument("--csv", help="also write the table to this CSV file")
    args = parser.parse_args(argv)
    try:
        cfg = config_mod.load(args.configfile)
        table = check(cfg, quick=args.quick)
    except (OSError, config_mod.ConfigError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(table.to_markdown(index=False))
    if args.csv:
        table.to_csv(args.csv, index=False)
    n_err, n_warn = int((table["status"] == ERROR).sum()), int((table["status"] == WARNING).sum())
    print(f"\n{len(table)} sessions: {len(table) - n_err - n_warn} ok, {n_warn} with warnings, {n_err} with errors")
    return 1 if n_err else 0


if __name__ == "__main__":
    sys.exit(main())
