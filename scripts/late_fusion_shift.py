"""Rule late_fusion_shift: the fusion's label shift per dimension (per outer fold without official partitions)."""
import json

import pandas as pd

from affectflow.core import logs
from affectflow.core.store import atomic_path
from affectflow.models.late_fusion import pipeline

log = logs.setup(snakemake.log[0])
record = pipeline.shift_record(snakemake.wildcards.dataset, pd.DataFrame(snakemake.params.manifest), snakemake.params.fusion,
                               list(snakemake.params.dimensions), snakemake.params.variance)
with atomic_path(snakemake.output.shift) as tmp:
    tmp.write_text(json.dumps(record, indent=2))
log.info("label shift: %s", json.dumps(record))
