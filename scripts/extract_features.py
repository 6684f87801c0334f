"""Rules extract_*: run one extractor on one session and write it to the feature store."""
from affectflow import extractors, logs

logs.setup(snakemake.log[0])
row = snakemake.params.row
media = extractors.SessionMedia(dataset=row["dataset"], session=row["session"], video=row["video"],
                                audio=row["audio"], transcript=row["transcript"])
extractors.run(snakemake.wildcards.extractor, dict(snakemake.params.extractor), media, snakemake.params.hop_s, snakemake.output[0])
