"""Rule leaderboard: every model family of a dataset in one ranked table and plot (test partition)."""
import pandas as pd

from affectflow.core import logs
from affectflow.evaluation import leaderboard, tables

log = logs.setup(snakemake.log[0])
dims = list(snakemake.params.dimensions)
models = snakemake.params.models
inputs = dict(snakemake.input.items())
parts = []
if "frame" in inputs:
    parts.append(leaderboard.frame_rows(pd.read_csv(inputs["frame"]), models))
for key in ("sequence", "fold"):
    if key in inputs:
        parts.append(leaderboard.repeat_rows(pd.read_csv(inputs[key], dtype={"fold": str}), models))
for fusion, cfg in snakemake.params.late_fusions.items():
    table1 = pd.read_csv(inputs[f"late_{fusion}"])
    parts.append(leaderboard.late_fusion_rows(table1, fusion, dims, leaderboard.late_fusion_unit(cfg)))
board = leaderboard.leaderboard(parts, dims)
best = leaderboard.best_per_family(board, dims)
dataset = snakemake.wildcards.dataset
caption = (f"{tables.ccc_caption(snakemake.params.variance)} Test partition; sequence models: mean (`*_std`: std, N−1) over "
           "`runs` repeats of the official split. Late-fusion rows are scored on their `unit` (not grid frames), with the "
           "model its Table 1 picked per dimension. Ranked by the mean over the dimensions.")
tables.write_csv(board, snakemake.output.csv)
leaderboard.write_markdown(board, best, snakemake.output.markdown, f"{dataset}: leaderboard of every model family", caption)
leaderboard.plot(board, dims, snakemake.output.plot, f"{dataset}: every model on the test partition")
log.info("\n%s\n%s", board.to_string(), best.to_string())
