"""Rules extract_{audio,face,text}_shard_*: run one extractor on the sessions of one shard (the
extractor and its model loaded once), each session written to its own feature-store file as the
per-session rule (extract_audio, extract_face, extract_text) writes it."""
import os

# read by torch, onnxruntime and CTranslate2 when (and only if) the extractor loads them
os.environ["OMP_NUM_THREADS"] = str(snakemake.threads)

from affectflow import extractors  # noqa: E402
from affectflow.core import logs  # noqa: E402

logs.setup(snakemake.log[0])
sessions = [extractors.SessionMedia(**m) for m in snakemake.params.media]
extractors.run_shard(snakemake.params.extractor_name, dict(snakemake.params.extractor), sessions, snakemake.params.hop_s,
                     list(snakemake.output))
