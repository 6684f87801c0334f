"""Command line: ``affectflow init`` writes a manifest and a config from a folder of recordings;
``affectflow check`` validates a config's datasets before a long run."""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

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
    p_check.add_argument("--directory", help="the run's working directory (snakemake --directory): relative paths in the "
                                            "config resolve against it, as they will in the run; default: here")
    p_check.add_argument("--quick", action="store_true", help="read media headers only; do not decode audio or scan video packets")
    p_check.add_argument("--csv", help="also write the table to this CSV file")
    p_init = sub.add_parser("init", help="write a manifest CSV and a config.yaml from a folder of recordings",
                            description="Scan FOLDER for video, audio and transcripts (same name = same session), read the "
                                        "optional label table or folder of per-frame label files, and write OUT/manifest.csv "
                                        "and OUT/config.yaml (csv adapter; extractors chosen by the modalities every session "
                                        "has; a ridge model when there are continuous labels). Exit status 2 names the problem.")
    p_init.add_argument("folder")
    p_init.add_argument("--labels", help="label table (CSV: a session/file column, then emotion or numeric dimension columns, "
                                         "optional speaker/partition/group) or a folder of AVEC-layout {session}.csv files")
    p_init.add_argument("--out", default=".", help="folder for manifest.csv and config.yaml (default: here)")
    p_init.add_argument("--name", help="dataset name (default: the folder's name)")
    p_init.add_argument("--speaker-pattern", help="regular expression on the session id giving the speaker (its first group, "
                                                  "or the whole match); default: the label table's speaker column, else one per session")
    p_init.add_argument("--force", action="store_true", help="overwrite an existing manifest.csv / config.yaml")
    args = parser.parse_args(argv)
    if args.command == "init":
        return _init(args)
    config_path = Path(args.configfile).resolve()
    csv_path = Path(args.csv).resolve() if args.csv else None
    try:
        cfg = config_mod.load(config_path)
        with contextlib.chdir(args.directory or Path.cwd()):
            table = check(cfg, quick=args.quick)
    except (OSError, config_mod.ConfigError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(table.to_markdown(index=False))
    if csv_path:
        table.to_csv(csv_path, index=False)
    n_err, n_warn = int((table["status"] == ERROR).sum()), int((table["status"] == WARNING).sum())
    print(f"\n{len(table)} sessions: {len(table) - n_err - n_warn} ok, {n_warn} with warnings, {n_err} with errors")
    return 1 if n_err else 0


def _init(args) -> int:
    from .datasets.scan import write

    try:
        manifest_path, config_path, scan = write(args.folder, args.out, args.labels, args.name, args.speaker_pattern, args.force)
    except (OSError, config_mod.ConfigError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    t = scan.table
    print(f"{len(t)} sessions, {t['speaker'].nunique()} speakers: "
          + ", ".join(f"{int((t[c] != '').sum())} with {c}" for c in ("video", "audio", "transcript")))
    for note in scan.notes:
        print(f"  {note}")
    run = config_path.parent
    print(f"wrote {manifest_path}\nwrote {config_path}\n"
          f"next: affectflow check --directory {run} --configfile {config_path}\n"
          f"      snakemake --directory {run} --cores all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
