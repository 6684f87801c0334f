# Segments of each session (interpausal units from silero-vad, rolling windows, transcript
# utterances): one job per (dataset, segmenter, session), read by segment-level models.


rule segment_session:
    input:
        unpack(segment_inputs),
    output:
        f"{RESULTS}/segments/{{dataset}}/{{segmenter}}/{{session}}.parquet",
    wildcard_constraints:
        segmenter=name_regex(list(config.get("segmenters", {}))),
        session=unsharded_sessions("segment_session"),
    params:
        segmenter=lambda wc: config["segmenters"][wc.segmenter],
        row=session_row,
    log:
        f"{RESULTS}/logs/segments/{{dataset}}/{{segmenter}}/{{session}}.log",
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../envs/audio.yaml"
    script:
        "../scripts/segment_session.py"
