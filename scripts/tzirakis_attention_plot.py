"""Rule tzirakis_attention_plot: per-frame modality attention of each strategy over one test session, and
how far each modality's weight follows the strength of each dimension on the test frames."""
from affectflow.core import logs, store
from affectflow.evaluation import tables
from affectflow.models.attention_fusion.content import attention_content
from affectflow.models.attention_fusion.strategies import STRATEGIES
from affectflow.models.attention_fusion.plots import attention_over_time

log = logs.setup(snakemake.log[0])
models = snakemake.params.models
preds = {f"{STRATEGIES[c['strategy']]} ({m})": store.read(p) for (m, c), p in zip(models.items(), snakemake.input)}
modalities = list(next(iter(models.values()))["modalities"])
first = next(iter(preds.values()))
held_out = first[first["partition"] == "test"]["session"]
session = str((held_out if len(held_out) else first["session"]).iloc[0])
dims = list(snakemake.params.dimensions)
attention_over_time(preds, modalities, session, dims, snakemake.output.plot,
                    f"{snakemake.wildcards.dataset}: modality attention over session {session}")
log.info("plotted session %s for %s", session, list(preds))
content = attention_content(preds, modalities, dims)
tables.write_csv(content, snakemake.output.content)
wide = content.pivot_table(index=["model", "modality"], columns="dimension", values="correlation", sort=False).reset_index()
tables.write_markdown(wide, snakemake.output.content_md, f"{snakemake.wildcards.dataset}: does the attention follow the content?",
                      "Pearson correlation, over the test frames where every modality is present, between a modality's attention "
                      "weight and the strength of each dimension (|label - mean|); repeat 0 of the official split. A modality "
                      "that carries a dimension should gain weight where that dimension is strong. Weight ranges are in the CSV.")
log.info("attention vs content:\n%s", wide.to_string())
