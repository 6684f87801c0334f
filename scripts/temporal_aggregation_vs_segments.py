"""Rule temporal_aggregation_vs_segments: mean accuracy against the number of segments N."""
import pandas as pd

from affectflow.core import logs
from affectflow.models.temporal_aggregation import report

logs.setup(snakemake.log[0])
report.write_accuracy_vs_segments([pd.read_csv(p) for p in snakemake.input], snakemake.wildcards.tagg,
                                           snakemake.output.table, snakemake.output.plot)
