"""Rule temporal_aggregation_table1: the paper's Table I (accuracy and training time per N, N = 1 baseline first)."""
import pandas as pd

from affectflow.core import logs
from affectflow.models.temporal_aggregation import report

logs.setup(snakemake.log[0])
report.write_table1([pd.read_csv(p, dtype={"folds_digest": str}) for p in snakemake.input], snakemake.wildcards.tagg,
                    snakemake.output.markdown, snakemake.output.table)
