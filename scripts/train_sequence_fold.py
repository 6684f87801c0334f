"""Rule train_sequence_fold: one (fold, repeat) of one model trained on folds (attention fusion, end-to-end
networks, JMT; see affectflow.models.sequence.run)."""
import pandas as pd
import torch

from affectflow.core import logs
from affectflow.models.sequence import run

logs.setup(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
pretrained = dict(zip(snakemake.params.pretrained, snakemake.input.pretrained))
run.train_repeat(
    dataset=snakemake.wildcards.dataset, name=snakemake.wildcards.model, models=snakemake.params.models,
    manifest=pd.DataFrame(snakemake.params.manifest), dims=list(snakemake.params.dimensions),
    repeat=int(snakemake.wildcards.repeat), seed=snakemake.params.seed, pretrained_checkpoints=pretrained,
    predictions=snakemake.output.predictions, checkpoint=snakemake.output.checkpoint,
    history=snakemake.output.history, info=snakemake.output.info,
)
