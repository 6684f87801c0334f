"""Logging for rule scripts: everything goes to the job's log file and to stderr."""
from __future__ import annotations

import logging
import sys
from pathlib import Path


def setup(log_path: str | Path | None = None, level: int = logging.INFO) -> logging.Logger:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(level=level, handlers=handlers, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)
    logger = logging.getLogger("affectflow")

    def log_uncaught(exc_type, exc, tb):
        # the error that fails a job belongs in the job's log file, not only on Snakemake's stderr
        logger.error("%s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))

    sys.excepthook = log_uncaught
    return logger
