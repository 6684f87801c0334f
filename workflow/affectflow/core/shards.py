"""Shards: many short sessions extracted by one job (rules/audio.smk), per (dataset, extractor).

A session longer than ``max_session_s`` (or whose duration is unknown when the DAG is built,
e.g. the demo's generated media) keeps its own job. The short ones go to ``n`` buckets by a
stable hash of the session id (``bucket = sha1(session) mod n``), ``n`` the smallest power of two
for which the buckets hold ``target_s`` seconds of media on average. Why a hash and a power of two:

- adding or removing a session moves no other session (manifest order plays no part), so only
  the shard that gains or loses it re-runs;
- ``n`` changes only when the short clips' total duration crosses a power of two times
  ``target_s``; then each bucket splits in two (``h mod 2n`` is ``h mod n`` or that plus ``n``).

Each session's output file stays where the one-job-per-session rule writes it, with the same
provenance: a shard job only runs several sessions in one process (the extractor and its model
loaded once). A changed clip re-runs its whole shard.
"""
from __future__ import annotations

import hashlib
import math

DEFAULTS = {"max_session_s": 30.0, "target_s": 300.0}


def bucket(session: str, n: int) -> int:
    return int.from_bytes(hashlib.sha1(session.encode()).digest()[:8], "big") % n


def n_buckets(total_s: float, target_s: float) -> int:
    """The smallest power of two n with total_s / n <= target_s."""
    if total_s <= target_s:
        return 1
    return 2 ** math.ceil(math.log2(total_s / target_s))


def plan(durations: dict[str, float | None], max_session_s: float = DEFAULTS["max_session_s"],
         target_s: float = DEFAULTS["target_s"]) -> dict[int, list[str]]:
    """Shard index -> its sessions (manifest order kept), for the sessions that are short enough.

    Sessions absent from the result run one per job. A shard of a single session is left out too:
    the per-session job does the same work."""
    short = {s: d for s, d in durations.items() if d is not None and math.isfinite(d) and d <= max_session_s}
    if len(short) < 2:
        return {}
    n = n_buckets(sum(short.values()), target_s)
    shards: dict[int, list[str]] = {}
    for s in short:
        shards.setdefault(bucket(s, n), []).append(s)
    return {k: v for k, v in sorted(shards.items()) if len(v) > 1}
