# Audio extractors: one job per (dataset, extractor, session).


rule extract_audio:
    input:
        audio=media_input("audio"),
    output:
        f"{RESULTS}/features/{{dataset}}/{{extractor}}/{{session}}.parquet",
    wildcard_constraints:
        extractor=name_regex(extractors_of("audio")),
        session=unsharded_sessions("extract_audio"),
    params:
        extractor=lambda wc: config["features"][wc.extractor],
        hop_s=lambda wc: config["datasets"][wc.dataset]["hop_s"],
        media=session_media,
    log:
        f"{RESULTS}/logs/features/{{dataset}}/{{extractor}}/{{session}}.log",
    # features depend only on the media bytes, the extractor's parameters and this rule's code:
    # with --cache (SNAKEMAKE_OUTPUT_CACHE) projects over the same corpus share them
    cache: "omit-software"
    threads: extractor_threads
    resources:
        mem_mb=4000,
        gpu=extractor_gpus,
    conda:
        "../envs/audio.yaml"
    script:
        "../scripts/extract_audio.py"
