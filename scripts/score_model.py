"""Rule score_model: metrics per partition and dimension, plus a trace plot of a test session."""
from affectflow.core import logs, store
from affectflow.evaluation import plots, scoring, tables

log = logs.setup(snakemake.log[0])
pred = store.read(snakemake.input.predictions)
dims = list(snakemake.params.dimensions)
scores = scoring.score_predictions(pred, dims, snakemake.params.variance)
tables.write_csv(scores, snakemake.output.scores)
log.info("\n%s", scores.to_string())
held_out = pred.loc[pred["partition"] == "test", "session"]
session = held_out.iloc[0] if len(held_out) else pred["session"].iloc[0]
plots.prediction_traces(pred, dims, session, snakemake.output.traces,
                        f"{snakemake.wildcards.dataset} / {snakemake.wildcards.model}: session {session}")
