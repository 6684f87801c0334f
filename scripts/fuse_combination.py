"""Rule fuse_combination: join one modality combination, tune and train every late-fusion model, score."""
import json

import pandas as pd

from affectflow.core import logs, store
from affectflow.core.store import atomic_path
from affectflow.evaluation import tables
from affectflow.models.late_fusion import pipeline

log = logs.setup(snakemake.log[0])
wc = snakemake.wildcards
fusion = snakemake.params.fusion
shift = json.loads(open(snakemake.input.shift).read()) if "shift" in snakemake.input.keys() else None
pred, scores, info = pipeline.run_combination(wc.dataset, pd.DataFrame(snakemake.params.manifest, dtype=str), fusion,
                                              wc.combination.split("+"), list(snakemake.params.dimensions), snakemake.params.variance,
                                              int(snakemake.params.seed), n_jobs=snakemake.threads, shift=shift)
record = store.provenance(extractor=f"fusion:{wc.fusion}:{wc.combination}", extractor_version="late-fusion/1", dataset=wc.dataset,
                          session="*", params=fusion, packages=("scikit-learn", "torch", "xgboost-cpu", "lightgbm", "optuna"))
store.write(pred, snakemake.output.predictions, record)
tables.write_csv(scores, snakemake.output.scores)
with atomic_path(snakemake.output.info) as tmp:
    tmp.write_text(json.dumps(info, indent=2, default=str))
log.info("\n%s", scores.drop(columns="params").to_string())
