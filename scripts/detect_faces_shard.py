"""Rules detect_faces_shard_*: the face-detection caches of one shard's sessions (the detector
loaded once), each written where rule detect_faces writes it, with the same provenance."""
import os

os.environ["OMP_NUM_THREADS"] = str(snakemake.threads)  # torch reads it at import: no oversubscription between jobs

from affectflow.core import logs  # noqa: E402
from affectflow.face import cache  # noqa: E402

logs.setup(snakemake.log[0])
cache.run_shard(snakemake.params.detector_name, dict(snakemake.params.detector), snakemake.params.media,
                snakemake.params.hop_s, list(snakemake.output)[0::2])  # outputs: parquet, crops of each session
