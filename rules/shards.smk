# Shards of short sessions (rules/common.smk, affectflow.core.shards): one rule per shard job of
# every sharded per-session rule (demo_session, extract_audio, detect_faces, extract_face, transcribe,
# extract_text, grid_labels, segment_session). Their outputs name no wildcards, so Snakemake
# prefers them over the per-session rule for those files; every other session keeps its own job.
# One loop per script: `script:` is evaluated when the job runs (the loop variable would be the
# last job's by then), so each loop names its script literally. Producers come first (the demo's
# sessions and transcripts, then face detection, then the extractors) so that a shard's inputs can
# name the shard rule that writes them (`wired`, rules/common.smk).


for _job in shard_jobs("session_shard.py"):

    rule:
        name:
            _job.name
        input:
            shard_inputs(_job),
        output:
            _job.output,
        params:
            **_job.params,
        log:
            _job.log,
        threads: _job.threads
        resources:
            **_job.resources,
        localrule: _job.local
        conda:
            _job.env
        script:
            "../scripts/session_shard.py"


for _job in shard_jobs("detect_faces_shard.py"):

    rule:
        name:
            _job.name
        input:
            shard_inputs(_job),
        output:
            _job.output,
        params:
            **_job.params,
        log:
            _job.log,
        threads: _job.threads
        resources:
            **_job.resources,
        localrule: _job.local
        conda:
            _job.env
        script:
            "../scripts/detect_faces_shard.py"


for _job in shard_jobs("extract_shard.py"):

    rule:
        name:
            _job.name
        input:
            shard_inputs(_job),
        output:
            _job.output,
        params:
            **_job.params,
        log:
            _job.log,
        threads: _job.threads
        resources:
            **_job.resources,
        localrule: _job.local
        conda:
            _job.env
        script:
            "../scripts/extract_shard.py"
