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


from types import SimpleNamespace


# Shards (datasets with `shards:`): the short sessions of one shard extracted by one job, each to its
# own file as above. Their outputs have no wildcards, so Snakemake prefers these rules over
# extract_audio for those files; longer sessions keep extract_audio.
for _ds, _ex, _k, _members in audio_shards():
    _wc = SimpleNamespace(dataset=_ds, extractor=_ex)

    rule:
        name:
            f"extract_audio_shard_{_ds}_{_ex}_{_k}"
        input:
            audio=[MANIFESTS[_ds].row(s)["audio"] for s in _members],
        output:
            [f"{RESULTS}/features/{_ds}/{_ex}/{s}.parquet" for s in _members],
        params:
            extractor_name=_ex,
            extractor=config["features"][_ex],
            hop_s=config["datasets"][_ds]["hop_s"],
            media=[session_media(SimpleNamespace(dataset=_ds, session=s)) for s in _members],
        log:
            f"{RESULTS}/logs/features/{_ds}/{_ex}/shard{_k}.log",
        threads: extractor_threads(_wc)
        resources:
            mem_mb=4000,
            gpu=extractor_gpus(_wc),
        conda:
            "../envs/audio.yaml"
        script:
            "../scripts/extract_audio_shard.py"
