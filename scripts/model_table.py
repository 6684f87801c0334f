"""Rule model_table: every model of a dataset in one table (Markdown + CSV) and a bar plot."""
import pandas as pd

from affectflow.core import logs
from affectflow.evaluation import plots, tables

log = logs.setup(snakemake.log[0])
scores = {m: pd.read_csv(p) for m, p in zip(snakemake.params.models, snakemake.input.scores)}
table, caption = tables.model_summary(scores, snakemake.params.variance)
title = f"{snakemake.wildcards.dataset}: models"
tables.write_markdown(table, snakemake.output.markdown, title, caption)
tables.write_csv(table, snakemake.output.csv)
tables.write_html(table, snakemake.output.html, title, caption)
plots.metric_bars(table, snakemake.output.plot, title=f"{snakemake.wildcards.dataset}: pooled test CCC")
log.info("\n%s", table.to_string())
