"""Rule transcribe: one session's audio -> words.json with faster-whisper (word timestamps)."""
from affectflow.core import logs, store
from affectflow.text import asr, transcripts

log = logs.setup(snakemake.log[0])
cfg = dict(snakemake.params.asr)
tr = asr.transcribe(snakemake.input.media, **cfg)
tr.meta["weights_sha256"] = store.sha256_file(asr.weights_file(cfg["model"]))  # size names resolve to the cached folder
tr.meta["media_sha256"] = store.sha256_file(snakemake.input.media)
transcripts.write_json(tr, snakemake.output[0], session=snakemake.wildcards.session)
log.info("%d utterances, %d words, language %s", len(tr.utterances), len(tr.words), tr.language)
