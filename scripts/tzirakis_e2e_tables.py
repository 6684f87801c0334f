"""Rule tzirakis_e2e_tables: Tables 2–5 and 7 of Tzirakis et al. from a dataset's runs (official split)."""
import pandas as pd

from affectflow.core import logs
from affectflow.evaluation import tables
from affectflow.models.sequence.summary import over_fold_repeats
from affectflow.models.tzirakis_e2e import tables as e2e_tables

log = logs.setup(snakemake.log[0])
summary = over_fold_repeats(pd.read_csv(snakemake.input.repeats, dtype={"fold": str}))
models, dims, dataset = snakemake.params.models, list(snakemake.params.dimensions), snakemake.wildcards.dataset
repeats = "/".join(map(str, sorted({c["repeats"] for c in models.values()})))
note = (f"{tables.ccc_caption(snakemake.params.variance)} Official split, CCC pooled over the partition's sessions, mean "
        f"(± std, N−1) over {repeats} repeats. Paper numbers (SEWA) are for the layout; they were not computed here.")
built = {"table2": (e2e_tables.table2(summary, models, dims), "Table 2 — unimodal networks, development set")}
for which in ("text", "audio", "visual", "multimodal"):
    n = e2e_tables.TABLE_NUMBER[which]
    built[f"table{n}"] = (e2e_tables.modality_table(summary, models, dims, which),
                          f"Table {n} — {which} {'network' if which != 'multimodal' else 'networks'}, test (development)")
for key, (table, title) in built.items():
    tables.write_csv(table, snakemake.output[f"{key}_csv"])
    tables.write_markdown(table.drop(columns="model"), snakemake.output[key], f"{dataset}: {title} (Tzirakis et al.)", note)
    log.info("%s\n%s", title, table.to_string())
gains = e2e_tables.fused_beats_unimodal(summary, models, dims)
tables.write_csv(gains, snakemake.output.gains)
log.info("multimodal vs its unimodal networks (test, pooled CCC)\n%s", gains.to_string())
