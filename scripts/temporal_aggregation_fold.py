"""Rule temporal_aggregation_fold: train the audio-visual CNN on all folds but one, predict that one."""
import pandas as pd
import torch

from affectflow.core import logs, store
from affectflow.evaluation import tables
from affectflow.models.temporal_aggregation import cv

logs.setup(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
clips = pd.read_csv(snakemake.input.clips, dtype=str, keep_default_na=False)  # the clip index, faces column included
model = dict(snakemake.params.model)
pred, draws, history = cv.run_fold(clips, dict(snakemake.params.folds), int(snakemake.wildcards.fold),
                                            list(snakemake.params.classes), model, seed=snakemake.params.seed)
tables.write_csv(history, snakemake.output.history)
with store.atomic_path(snakemake.output.draws) as tmp:
    draws.to_parquet(tmp, index=False)
with store.atomic_path(snakemake.output.predictions) as tmp:
    pred.to_parquet(tmp, index=False)
