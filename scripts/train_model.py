"""Rule train_model: join labels + features on the grid, train, predict every frame."""
import json

import numpy as np
import pandas as pd

from affectflow.core import join, logs, store
from affectflow.core.store import atomic_path
from affectflow.models import ridge

log = logs.setup(snakemake.log[0])
cfg = snakemake.params.model
dims = list(snakemake.params.dimensions)
manifest = pd.DataFrame(snakemake.params.manifest)
dataset, model_name = snakemake.wildcards.dataset, snakemake.wildcards.model
np.random.seed(snakemake.params.seed)

frames = join.frame_table(dataset, manifest["session"].tolist(), cfg["features"])
frames = frames.merge(manifest, on="session", how="left")
feature_cols = [c for c in frames.columns if "__" in c]
feature_cols = [c for c in feature_cols if frames[c].notna().any()]
frames[[c for c in feature_cols if c.endswith(join.PRESENT)]] = frames[[c for c in feature_cols if c.endswith(join.PRESENT)]].astype(float)
std_by = cfg.get("standardise", "speaker")
frames = join.standardise(frames, feature_cols, None if std_by == "none" else std_by)
frames, feature_cols = join.stack_context(frames, feature_cols, cfg.get("context_frames", 0))
log.info("%d frames, %d sessions, %d feature columns", len(frames), frames["session"].nunique(), len(feature_cols))

pred, info = ridge.train_and_predict(frames, feature_cols, dims, cfg["alphas"])
record = store.provenance(extractor=f"model:{model_name}", extractor_version=f"{cfg['kind']}/1", dataset=dataset,
                          session="*", params=dict(cfg), packages=("scikit-learn",), extra={"training": info})
store.write(pred, snakemake.output.predictions, record)
with atomic_path(snakemake.output.info) as tmp:
    tmp.write_text(json.dumps(info, indent=2))
log.info("chosen penalties %s", info["alphas"])
