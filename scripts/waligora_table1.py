"""Rule waligora_table1: Table 1 of Waligora et al. — the JMT (and its branches) on the official split and each fold."""
import pandas as pd

from affectflow.core import logs
from affectflow.core.store import atomic_path
from affectflow.evaluation import tables
from affectflow.models.jmt.tables import waligora_networks, waligora_table1
from affectflow.models.sequence.summary import over_fold_repeats, spread_words

log = logs.setup(snakemake.log[0])
summary = over_fold_repeats(pd.read_csv(snakemake.input.repeats, dtype={"fold": str}))
dims = list(snakemake.params.dimensions)
models = snakemake.params.models
parts = [waligora_table1(summary, m, dims, snakemake.params.folds[m]).assign(model=m) for m in models]
table = pd.concat(parts, ignore_index=True)
tables.write_csv(table, snakemake.output.csv)
text = []
networks = waligora_networks(summary, models, dims)
if len(networks):
    text.append("## The networks on the official split (pooled CCC on devel and test)\n\n" + networks.to_markdown(index=False))
for m, cfg in models.items():
    what = f"{cfg['attention']} attention, " if "attention" in cfg else ""
    text.append(f"## {m} ({cfg['kind']}, {what}{cfg['folds']} folds by {cfg['fold_by']}, {cfg['repeats']} repeat(s))\n\n"
                + table[table["model"] == m].drop(columns="model").to_markdown(index=False))
caption = (f"{tables.ccc_caption(snakemake.params.variance)} Each row of the per-model tables is scored on its own validation set: "
           f"the official devel partition, or the held-out group of fold k. {spread_words(c['repeats'] for c in models.values())}. The last row is the mean "
           "(± std) over the folds; `Avg.` is the mean of the dimensions. The paper's Table 1 is the JMT's; the branches' rows are the "
           "unimodal networks it fuses.")
with atomic_path(snakemake.output.markdown) as tmp:
    tmp.write_text(f"# {snakemake.wildcards.dataset}: Table 1 of Waligora et al. — joint multimodal transformer per fold\n\n"
                   f"{caption}\n\n" + "\n\n".join(text) + "\n")
log.info("\n%s", table.to_string())
