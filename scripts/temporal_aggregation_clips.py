"""Rule temporal_aggregation_clips: the clip index of one temporal-aggregation model — every clip with
its face cache (empty for a clip without video) and audio."""
import pandas as pd

from affectflow.core import logs
from affectflow.evaluation import tables

log = logs.setup(snakemake.log[0])
clips = pd.DataFrame(snakemake.params.clips)
faces = iter(snakemake.input.faces)  # one cache per clip with video (rules/common.smk: video != ""), in clip order
clips["faces"] = [next(faces) if video != "" else "" for video in clips["video"]]
tables.write_csv(clips, snakemake.output[0])
log.info("%d clips, %d with a face cache", len(clips), int((clips["faces"] != "").sum()))
