"""Rule grid_labels: one session's labels on the time grid."""
from affectflow.core import labels, logs, media, store

log = logs.setup(snakemake.log[0])
row = snakemake.params.row
info = media.probe(snakemake.input.media)
if row["label_kind"] == "continuous":
    raw = labels.read_avec(snakemake.input.labels, snakemake.params.dimensions)
    if mismatch := labels.span_mismatch(snakemake.input.labels, raw, info.duration_s, snakemake.params.delay_s):
        log.warning(mismatch)
    table = labels.to_grid(raw, row["session"], info.duration_s, snakemake.params.hop_s, snakemake.params.delay_s)
    sources = {"labels": snakemake.input.labels}
else:
    table = labels.categorical(row["session"], row["emotion"], info.duration_s)
    sources = {}
params = {"hop_s": snakemake.params.hop_s, "annotation_delay_s": snakemake.params.delay_s,
          "dimensions": snakemake.params.dimensions, "label_kind": row["label_kind"]}
record = store.provenance(extractor="labels", extractor_version="labels/1", dataset=row["dataset"], session=row["session"],
                          params=params, sources=sources)
store.write(table, snakemake.output[0], record)
log.info("%d frames, %d valid", len(table), int(table["label_valid"].sum()))
