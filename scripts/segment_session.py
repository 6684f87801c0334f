"""Rule segment_session: one session's segments (IPUs, rolling windows or utterances) into the store."""
from affectflow.core import logs, segments

logs.setup(snakemake.log[0])
row = snakemake.params.row
segments.run(row["dataset"], row["session"], snakemake.wildcards.segmenter, dict(snakemake.params.segmenter),
             snakemake.output[0], audio_path=row["audio"], transcript_path=row["transcript"])
