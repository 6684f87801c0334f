# Audio extractors: one job per (dataset, extractor, session).


rule extract_audio:
    input:
        audio=media_input("audio"),
    output:
        f"{RESULTS}/features/{{dataset}}/{{extractor}}/{{session}}.parquet",
    wildcard_constraints:
        extractor=name_regex(extractors_of("audio")),
    params:
        extractor=lambda wc: config["features"][wc.extractor],
        hop_s=lambda wc: config["datasets"][wc.dataset]["hop_s"],
        row=session_row,
    log:
        f"{RESULTS}/logs/features/{{dataset}}/{{extractor}}/{{session}}.log",
    threads: extractor_threads
    resources:
        mem_mb=4000,
        gpu=extractor_gpus,
    conda:
        "../envs/audio.yaml"
    script:
        "../scripts/extract_features.py"
