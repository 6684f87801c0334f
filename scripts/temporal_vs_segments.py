"""Rule temporal_aggregation_vs_segments: mean accuracy against the number of segments N."""
import pandas as pd

from affectflow import temporal_report
from affectflow.core import logs

logs.setup(snakemake.log[0])
temporal_report.write_accuracy_vs_segments([pd.read_csv(p) for p in snakemake.input], snakemake.wildcards.tagg,
                                           snakemake.output.table, snakemake.output.plot)
