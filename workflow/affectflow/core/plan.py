"""What a Snakemake dry run (``snakemake -n``) plans to do, parsed from its job listing.

Used by the incremental-rerun tests and ``benchmarks/incremental.py`` to compare exact job lists.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_JOB = re.compile(r"^(?:local)?rule (?P<rule>\w+):\n(?P<body>(?:[ \t]+\S.*\n?)*)", re.MULTILINE)
_FIELD = re.compile(r"^[ \t]+(?P<key>\w+): (?P<value>.*)$", re.MULTILINE)


@dataclass(frozen=True)
class PlannedJob:
    rule: str
    output: str  # first output file ("" for target rules like `all`)
    reason: str
    resources: dict[str, str]
    outputs: tuple[str, ...] = ()  # every output file


def planned_jobs(dry_run_text: str) -> list[PlannedJob]:
    """Every job listed by ``snakemake -n`` (stdout and stderr together), in listing order."""
    jobs = []
    for m in _JOB.finditer(dry_run_text):
        fields = {f["key"]: f["value"].strip() for f in _FIELD.finditer(m["body"])}
        outputs = tuple(o for o in fields.get("output", "").split(", ") if o)
        resources = dict(kv.split("=", 1) for kv in fields.get("resources", "").split(", ") if "=" in kv)
        jobs.append(PlannedJob(m["rule"], outputs[0] if outputs else "", fields.get("reason", ""), resources, outputs))
    return jobs


def job_set(dry_run_text: str) -> set[tuple[str, str]]:
    """The planned jobs as a set of (rule, first output)."""
    return {(j.rule, j.output) for j in planned_jobs(dry_run_text)}
