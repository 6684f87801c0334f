"""Rule grid_labels: one session's labels on the time grid.

The grid spans the session's media; a session without media (labels plus other systems'
predictions only) takes its span from its label file, and a clip-level label without media is one
grid frame.
"""
from affectflow.core import labels, logs, media, store

log = logs.setup(snakemake.log[0])
row = snakemake.params.row
hop_s = snakemake.params.hop_s
has_media = "media" in snakemake.input.keys()
duration_s = media.probe(snakemake.input.media).duration_s if has_media else None
if row["label_kind"] == "continuous":
    raw = labels.read_avec(snakemake.input.labels, snakemake.params.dimensions)
    if duration_s is None:
        duration_s = labels.span_s(raw, hop_s)
        log.info("no media: the grid spans the label file, %.2f s", duration_s)
    elif mismatch := labels.span_mismatch(snakemake.input.labels, raw, duration_s, snakemake.params.delay_s):
        log.warning(mismatch)
    table = labels.to_grid(raw, row["session"], duration_s, hop_s, snakemake.params.delay_s)
    sources = {"labels": snakemake.input.labels}
elif row["label_kind"] == "clip":
    values = labels.clip_values(row, list(snakemake.params.dimensions), f"dataset '{row['dataset']}' session {row['session']}")
    table = labels.clip_grid(row["session"], values, duration_s if duration_s is not None else hop_s, hop_s)
    sources = {}
else:
    table = labels.categorical(row["session"], row["emotion"], duration_s if duration_s is not None else hop_s)
    sources = {}
params = {"hop_s": hop_s, "annotation_delay_s": snakemake.params.delay_s,
          "dimensions": snakemake.params.dimensions, "label_kind": row["label_kind"]}
record = store.provenance(extractor="labels", extractor_version="labels/2", dataset=row["dataset"], session=row["session"],
                          params=params, sources=sources)
store.write(table, snakemake.output[0], record)
log.info("%d frames, %d valid", len(table), int(table["label_valid"].sum()))
