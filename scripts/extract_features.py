"""Rules extract_*: run one extractor on one session and write it to the feature store."""
from affectflow import extractors, logs

logs.setup(snakemake.log[0])
media = extractors.SessionMedia(**snakemake.params.media)
extractors.run(snakemake.wildcards.extractor, dict(snakemake.params.extractor), media, snakemake.params.hop_s, snakemake.output[0])
