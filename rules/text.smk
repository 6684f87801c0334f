# Text branch: transcripts (given or ASR) and text extractors, one job per (dataset, extractor, session).


rule transcribe:
    input:
        media=media_input("audio"),
    output:
        f"{RESULTS}/transcripts/{{dataset}}/{{session}}.words.json",
    wildcard_constraints:
        session=unsharded_sessions("transcribe"),
    params:
        asr=lambda wc: config["datasets"][wc.dataset]["asr"],
    log:
        f"{RESULTS}/logs/transcripts/{{dataset}}/{{session}}.log",
    threads: 2
    resources:
        mem_mb=3000,
        gpu=lambda wc: gpu_for(config["datasets"][wc.dataset]["asr"].get("device")),
    conda:
        "../envs/text.yaml"
    script:
        "../scripts/transcribe.py"


rule extract_text:
    input:
        unpack(text_inputs),
    output:
        f"{RESULTS}/features/{{dataset}}/{{extractor}}/{{session}}.parquet",
    wildcard_constraints:
        extractor=name_regex(extractors_of("text")),
        session=unsharded_sessions("extract_text"),
    params:
        extractor=text_extractor_params,
        hop_s=lambda wc: config["datasets"][wc.dataset]["hop_s"],
        media=text_session_media,
    log:
        f"{RESULTS}/logs/features/{{dataset}}/{{extractor}}/{{session}}.log",
    threads: 1
    resources:
        mem_mb=3000,
        gpu=extractor_gpus,
    conda:
        "../envs/text.yaml"
    script:
        "../scripts/extract_text.py"
