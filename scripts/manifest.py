"""Rule manifest: write the dataset manifest as CSV."""
import pandas as pd

from affectflow.core import logs
from affectflow.core.store import atomic_path

log = logs.setup(snakemake.log[0])
table = pd.DataFrame(snakemake.params.table)
with atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, index=False)
log.info("%d sessions → %s", len(table), snakemake.output[0])
