"""Rule detect_faces: detect, select and align the faces of one session's video into the cache."""
import os

os.environ["OMP_NUM_THREADS"] = str(snakemake.threads)  # torch reads it at import: no oversubscription between jobs

from affectflow.core import logs  # noqa: E402
from affectflow.face import cache  # noqa: E402

logs.setup(snakemake.log[0])
row = snakemake.params.row
cache.run(snakemake.wildcards.detector, dict(snakemake.params.detector), row["dataset"], row["session"],
          snakemake.input.video, snakemake.params.hop_s, snakemake.output.faces)
