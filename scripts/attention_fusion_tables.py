"""Rule attention_fusion_tables: every model trained per fold (attention fusion, JMT) of a dataset, over its repeats."""
import json

import pandas as pd

from affectflow.core import logs, store
from affectflow.evaluation import tables
from affectflow.models.sequence.summary import fold_scores, over_fold_repeats, spread_words

log = logs.setup(snakemake.log[0])
dims, variance = list(snakemake.params.dimensions), snakemake.params.variance
keys = [(m, str(f), int(r)) for m, f, r in snakemake.params.runs]
scores = fold_scores({k: store.read(p) for k, p in zip(keys, snakemake.input.predictions)}, dims, variance)
info = pd.DataFrame([json.loads(open(p).read()) for p in snakemake.input.info])
timing = info.groupby("model").agg(seconds_per_epoch=("seconds_per_epoch", "mean"), epochs_run=("epochs_run", "mean"),
                                   device=("device", "first")).reset_index()
table = over_fold_repeats(scores).merge(timing, on="model", how="left")
tables.write_csv(scores, snakemake.output.repeats)
tables.write_csv(table, snakemake.output.csv)
tables.write_markdown(table, snakemake.output.markdown, f"{snakemake.wildcards.dataset}: attention-fusion models per fold over repeats",
                      f"{tables.ccc_caption(variance)} `ccc_per_sequence_*` is the mean of per-session CCCs. "
                      f"{spread_words(len({r for mm, _, r in keys if mm == m}) for m in {k[0] for k in keys})}. "
                      "Fold `official` is the dataset's split; folds 1…K re-split train+devel (test untouched).")
log.info("\n%s", table.to_string())
