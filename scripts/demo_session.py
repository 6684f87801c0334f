"""Rule demo_session: generate one session of the synthetic demo corpus."""
from pathlib import Path

from affectflow.core import logs
from affectflow.datasets.demo_corpus import demo_sessions, generate_session

log = logs.setup(snakemake.log[0])
opts = snakemake.params.options
session = snakemake.wildcards.session
names = [s["session"] for s in demo_sessions(int(opts.get("n_sessions", 8)))]
if session not in names:
    raise ValueError(f"'{session}' is not a demo session (expected one of {names})")
paths = generate_session(
    Path(snakemake.output.media).parent,
    session,
    index=names.index(session),
    seed=int(opts.get("seed", 0)),
    duration_s=float(opts.get("duration_s", 60.0)),
)
log.info("generated %s", {k: str(v) for k, v in paths.items()})
