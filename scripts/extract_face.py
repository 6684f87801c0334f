"""Rule extract_face: run one face extractor on one session (from its face cache) and write it to the feature store."""
import os

# read by torch, onnxruntime and CTranslate2 when (and only if) the extractor loads them: a job uses
# the threads Snakemake gave it, not every core. torch is not imported here: an openSMILE or VADER
# job that never touches it does not pay its ~2-4 s import.
os.environ["OMP_NUM_THREADS"] = str(snakemake.threads)

from affectflow import extractors  # noqa: E402
from affectflow.core import logs  # noqa: E402

logs.setup(snakemake.log[0])
media = extractors.SessionMedia(**snakemake.params.media, faces=snakemake.input.faces)
extractors.run(snakemake.wildcards.extractor, dict(snakemake.params.extractor), media, snakemake.params.hop_s, snakemake.output[0])
