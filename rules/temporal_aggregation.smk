# Temporal aggregation of asynchronous audio-visual windows (birhala-…): one training job per
# (dataset, model, number of segments N, speaker-independent fold), then the report of each N
# with its learning curves (Fig. 3), the paper's Table I over N = 1 (the single-segment baseline,
# same folds) and every configured N, and, with several N, accuracy against N (Fig. 5).


# One small file that depends on every clip's face cache and audio: a fold job names it instead of
# three files per clip (CREMA-D: 30 fold jobs x 22,326 files made the dry run spend minutes in
# Snakemake's input lookup). A changed cache re-writes the index, which re-runs every fold.
rule temporal_aggregation_clips:
    input:
        unpack(temporal_clip_inputs),
    output:
        f"{RESULTS}/temporal_aggregation/{{dataset}}/{{tagg}}/clips.csv",
    params:
        clips=lambda wc: temporal_clips(wc.dataset, wc.tagg).to_dict(orient="list"),
    log:
        f"{RESULTS}/logs/temporal_aggregation/{{dataset}}/{{tagg}}/clips.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/temporal_aggregation_clips.py"


rule temporal_aggregation_fold:
    input:
        clips=f"{RESULTS}/temporal_aggregation/{{dataset}}/{{tagg}}/clips.csv",
    output:
        predictions=f"{RESULTS}/temporal_aggregation/{{dataset}}/{{tagg}}/N{{segments}}/fold{{fold}}.parquet",
        draws=f"{RESULTS}/temporal_aggregation/{{dataset}}/{{tagg}}/N{{segments}}/fold{{fold}}_draws.parquet",
        history=f"{RESULTS}/temporal_aggregation/{{dataset}}/{{tagg}}/N{{segments}}/fold{{fold}}_history.csv",
    wildcard_constraints:
        segments=r"\d+",
        fold=r"\d+",
    params:
        folds=lambda wc: temporal_folds(wc.dataset, wc.tagg),
        classes=lambda wc: temporal_classes(wc.dataset, wc.tagg),
        model=temporal_fold_params,
        seed=config["seed"],
    log:
        f"{RESULTS}/logs/temporal_aggregation/{{dataset}}/{{tagg}}/N{{segments}}/fold{{fold}}.log",
    threads: 2
    resources:
        mem_mb=8000,
        gpu=temporal_gpus,
    conda:
        # torch, PyAV and OpenCV (the face cache modules) are all in the face environment; the reports import the same package
        "../envs/face.yaml"
    script:
        "../scripts/temporal_aggregation_fold.py"


rule temporal_aggregation_report:
    input:
        predictions=temporal_fold_files,
        histories=temporal_history_files,
    output:
        markdown=f"{RESULTS}/tables/{{dataset}}/{{tagg}}/N{{segments}}/accuracy.md",
        summary=f"{RESULTS}/tables/{{dataset}}/{{tagg}}/N{{segments}}/summary.csv",
        confusion_csv=f"{RESULTS}/tables/{{dataset}}/{{tagg}}/N{{segments}}/confusion.csv",
        confusion_png=f"{RESULTS}/plots/{{dataset}}/{{tagg}}/N{{segments}}_confusion.png",
        curves_csv=f"{RESULTS}/tables/{{dataset}}/{{tagg}}/N{{segments}}/curves.csv",
        curves_png=f"{RESULTS}/plots/{{dataset}}/{{tagg}}/N{{segments}}_curves.png",
    wildcard_constraints:
        segments=r"\d+",
    params:
        classes=lambda wc: temporal_classes(wc.dataset, wc.tagg),
    log:
        f"{RESULTS}/logs/temporal_aggregation/{{dataset}}/{{tagg}}/N{{segments}}/report.log",
    conda:
        "../envs/face.yaml"
    script:
        "../scripts/temporal_aggregation_report.py"


rule temporal_aggregation_vs_segments:
    input:
        temporal_summaries,
    output:
        table=f"{RESULTS}/tables/{{dataset}}/{{tagg}}/accuracy_vs_segments.csv",
        plot=f"{RESULTS}/plots/{{dataset}}/{{tagg}}/accuracy_vs_segments.png",
    log:
        f"{RESULTS}/logs/temporal_aggregation/{{dataset}}/{{tagg}}/accuracy_vs_segments.log",
    conda:
        "../envs/face.yaml"
    script:
        "../scripts/temporal_aggregation_vs_segments.py"


rule temporal_aggregation_table1:
    input:
        temporal_table1_summaries,
    output:
        markdown=f"{RESULTS}/tables/{{dataset}}/{{tagg}}/table1.md",
        table=f"{RESULTS}/tables/{{dataset}}/{{tagg}}/table1.csv",
    log:
        f"{RESULTS}/logs/temporal_aggregation/{{dataset}}/{{tagg}}/table1.log",
    conda:
        "../envs/face.yaml"
    script:
        "../scripts/temporal_aggregation_table1.py"
