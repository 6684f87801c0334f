"""Rule extract_text: run one text extractor on one session's transcript and write it to the feature store."""
import os

# before torch/onnxruntime/CTranslate2 load: a job uses the threads Snakemake gave it, not every core
os.environ.setdefault("OMP_NUM_THREADS", str(snakemake.threads))

import torch  # noqa: E402

from affectflow import extractors  # noqa: E402
from affectflow.core import logs  # noqa: E402

logs.setup(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
media = extractors.SessionMedia(**snakemake.params.media)
extractors.run(snakemake.wildcards.extractor, dict(snakemake.params.extractor), media, snakemake.params.hop_s, snakemake.output[0])
