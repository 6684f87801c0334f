"""Rule late_fusion_table: Table 1 (Markdown, CSV, LaTeX), the full model × combination grid and its plot."""
import json

import pandas as pd

from affectflow.core import logs
from affectflow.evaluation import tables
from affectflow.models.late_fusion import report

log = logs.setup(snakemake.log[0])
wc = snakemake.wildcards
combos = list(snakemake.params.combinations)
dims = list(snakemake.params.dimensions)
grid = report.grid_table({c: pd.read_csv(p) for c, p in zip(combos, snakemake.input.scores)})
infos = {c: json.loads(open(p).read()) for c, p in zip(combos, snakemake.input.infos)}
split = infos[combos[0]]["split"]
caption = (f"{report.caption(snakemake.params.variance, split)} {report.unit_caption(snakemake.params.unit)} "
           f"{report.drops_caption(infos)}")
table = report.table1(grid, dims, combos)
report.write_table1(table, dims, caption, f"{wc.dataset}: late fusion {wc.fusion} (Table 1)", snakemake.output.markdown,
                    snakemake.output.csv, snakemake.output.latex, label=f"tab:fusion-{wc.dataset}-{wc.fusion}")
tables.write_csv(grid, snakemake.output.grid)
report.plot_grid(grid, dims, combos, snakemake.output.plot, f"{wc.dataset}: late fusion {wc.fusion}")
log.info("\n%s", table.to_string())
