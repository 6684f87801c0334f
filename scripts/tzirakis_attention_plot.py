"""Rule tzirakis_attention_plot: per-frame modality attention of each strategy over one test session."""
from affectflow.core import logs, store
from affectflow.models.attention_fusion.strategies import STRATEGIES
from affectflow.models.attention_fusion.plots import attention_over_time

log = logs.setup(snakemake.log[0])
models = snakemake.params.models
preds = {f"{STRATEGIES[c['strategy']]} ({m})": store.read(p) for (m, c), p in zip(models.items(), snakemake.input)}
modalities = list(next(iter(models.values()))["modalities"])
first = next(iter(preds.values()))
held_out = first[first["partition"] == "test"]["session"]
session = str((held_out if len(held_out) else first["session"]).iloc[0])
attention_over_time(preds, modalities, session, list(snakemake.params.dimensions), snakemake.output[0],
                    f"{snakemake.wildcards.dataset}: modality attention over session {session}")
log.info("plotted session %s for %s", session, list(preds))
