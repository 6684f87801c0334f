"""Rule standin_predictions: a demo stand-in (noisy copy of the gold labels) in the AVEC layout."""
from affectflow import logs, store
from affectflow.fusion import standins

log = logs.setup(snakemake.log[0])
spec = snakemake.params.spec
labels = store.read(snakemake.input.labels)
table = standins.standin(labels, list(snakemake.params.dimensions), spec["strength"], int(spec.get("seed", 0)),
                         snakemake.wildcards.standin, float(spec.get("smooth_s", 1.0)))
standins.write_avec(table, snakemake.output[0])
log.info("stand-in %s for %s: %d frames", snakemake.wildcards.standin, snakemake.wildcards.session, len(table))
