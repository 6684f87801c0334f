"""Rule tzirakis_table6: Table 6 of Tzirakis et al. — the five fusion strategies, arousal and valence."""
import pandas as pd

from affectflow.core import logs
from affectflow.evaluation import tables
from affectflow.models.attention_fusion.tables import tzirakis_table6
from affectflow.models.sequence.summary import over_fold_repeats, spread_words

log = logs.setup(snakemake.log[0])
summary = over_fold_repeats(pd.read_csv(snakemake.input.repeats, dtype={"fold": str}))
table = tzirakis_table6(summary, snakemake.params.models, list(snakemake.params.dimensions))
repeats = sorted({c["repeats"] for c in snakemake.params.models.values()})
tables.write_csv(table, snakemake.output.csv)
tables.write_markdown(table.drop(columns="model"), snakemake.output.markdown,
                      f"{snakemake.wildcards.dataset}: Table 6 of Tzirakis et al. — fusion strategies (development set)",
                      f"{tables.ccc_caption(snakemake.params.variance)} Development (devel) partition, official split. "
                      f"{spread_words(repeats)}. `paper *` columns are the numbers the paper reports on SEWA "
                      "(development set), for the layout; they were not computed here.")
log.info("\n%s", table.to_string())
