"""Rule sequence_tables: every sequence model of a dataset, mean ± std over its repeats."""
from affectflow.core import logs
from affectflow.evaluation import tables
from affectflow.models.sequence import summary

log = logs.setup(snakemake.log[0])
variance = snakemake.params.variance
scores, timing = summary.scores_and_timing(snakemake.params.runs, snakemake.input.predictions, snakemake.input.info,
                                           list(snakemake.params.dimensions), variance)
over = summary.over_repeats(scores)
table = over.merge(timing, on="model", how="left")
tables.write_csv(scores, snakemake.output.repeats)
tables.write_csv(table, snakemake.output.csv)
caption = summary.caption(tables.VARIANCE_WORDS[variance], dict(zip(over["model"], over["repeats"])), "every")
tables.write_markdown(table, snakemake.output.markdown, f"{snakemake.wildcards.dataset}: sequence models over repeats",
                      caption + " `ccc_pooled_*` is one CCC over the concatenated sessions; seconds_per_epoch is the wall "
                      "time of one training epoch (with dev prediction), cpu_seconds_per_epoch its CPU time.")
log.info("\n%s", table.to_string())
