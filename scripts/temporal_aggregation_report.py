"""Rule temporal_aggregation_report: accuracy per fold, recall per class, confusion matrix and learning curves of one N."""
import pandas as pd

from affectflow.core import logs
from affectflow.models.temporal_aggregation import report

logs.setup(snakemake.log[0])
pred = pd.concat([pd.read_parquet(p) for p in snakemake.input.predictions], ignore_index=True)
history = pd.concat([pd.read_csv(p) for p in snakemake.input.histories], ignore_index=True)
report.write_segments_report(pred, list(snakemake.params.classes), int(snakemake.wildcards.segments),
                             snakemake.wildcards.tagg, dict(snakemake.output), history)
