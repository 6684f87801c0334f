"""Rule detect_faces: detect, select and align the faces of one session's video into the cache."""
import torch

from affectflow import logs
from affectflow.face import cache

logs.setup(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
row = snakemake.params.row
cache.run(snakemake.wildcards.detector, dict(snakemake.params.detector), row["dataset"], row["session"],
          snakemake.input.video, snakemake.params.hop_s, snakemake.output.faces)
