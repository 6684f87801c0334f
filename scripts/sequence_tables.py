"""Rule sequence_tables: every sequence model of a dataset over its repeats, and the papers' tables."""
import json

import pandas as pd

from affectflow import logs, store, tables
from affectflow.models.sequence import summary

log = logs.setup(snakemake.log[0])
dims, models, variance = list(snakemake.params.dimensions), snakemake.params.models, snakemake.params.variance
keys = [tuple(k) for k in snakemake.params.runs]
scores = summary.repeat_scores({k: store.read(p) for k, p in zip(keys, snakemake.input.predictions)}, dims, variance)
info = pd.DataFrame([json.loads(open(p).read()) for p in snakemake.input.info])
over = summary.over_repeats(scores)
timing = info.groupby("model").agg(seconds_per_epoch=("seconds_per_epoch", "mean"),
                                   cpu_seconds_per_epoch=("cpu_seconds_per_epoch", "mean"), epochs_run=("epochs_run", "mean"),
                                   best_epoch=("best_epoch", "mean"), device=("device", "first")).reset_index()
table = over.merge(timing, on="model", how="left")
repeats = dict(zip(over["model"], over["repeats"]))
dataset = snakemake.wildcards.dataset
tables.write_csv(scores, snakemake.output.repeats)
tables.write_csv(table, snakemake.output.csv)
tables.write_markdown(table, snakemake.output.markdown, f"{dataset}: sequence models over repeats",
                      summary.caption(tables.VARIANCE_WORDS[variance], repeats, "every", "per_sequence")
                      + " `ccc_pooled_*` is one CCC over the concatenated sessions; seconds_per_epoch is the wall time of one training epoch (with dev prediction), cpu_seconds_per_epoch its CPU time.")
log.info("\n%s", table.to_string())

lucas = {n: c for n, c in models.items() if c["kind"] in ("dlstm", "dlstm_fusion", "dlstm_av")}
t1 = summary.lucas_table1(over, lucas, dims)
t2 = summary.lucas_table2(over, lucas, dims, dataset)
cap = summary.caption(tables.VARIANCE_WORDS[variance], {n: repeats[n] for n in lucas if n in repeats})
tables.write_markdown(t1, snakemake.output.table1, f"{dataset}: Table 1 of Lucas et al. — uni-modal DLSTMs and their fusion",
                      cap + " Fusion rows fuse frozen pre-trained DLSTMs (repeat `pretrained_repeat` of each).")
tables.write_markdown(t2, snakemake.output.table2, f"{dataset}: Table 2 of Lucas et al. — end-to-end model",
                      cap + " The first rows are the numbers the paper reports on RECOLA, for the layout; they were not computed here.")
log.info("\n%s\n\n%s", t1.to_string(), t2.to_string())
