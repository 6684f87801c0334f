"""Reading text inputs (transcripts, word timings) as UTF-8, with errors that name the file and
the offending byte — never a silent ``errors="replace"`` that turns words into U+FFFD.

A UTF-8 byte-order mark is accepted and dropped. Transcript readers use :func:`read_utf8`.
"""
from __future__ import annotations

import os
from pathlib import Path


class TextFileError(ValueError):
    """A text file that cannot be used; the message names the file and the problem."""


def read_utf8(path: str | os.PathLike) -> str:
    path = Path(path)
    if not path.is_file():
        raise TextFileError(f"{path}: text file not found")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TextFileError(f"{path}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}, line {line}); "
                            "re-encode it, e.g. iconv -f latin1 -t utf-8") from exc
