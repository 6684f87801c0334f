# Attention-fusion sequence models (Tzirakis et al.'s five strategies, Waligora et al.'s joint
# multimodal transformer): one job per (dataset, model, fold, repeat), then the papers' tables
# and the attention plot.


rule train_fusion_model:
    input:
        unpack(model_inputs),
    output:
        predictions=f"{RESULTS}/predictions/{{dataset}}/{{model}}/fold{{fold}}/repeat{{repeat}}.parquet",
        checkpoint=f"{RESULTS}/models/{{dataset}}/{{model}}/fold{{fold}}/repeat{{repeat}}/checkpoint.pt",
        history=f"{RESULTS}/models/{{dataset}}/{{model}}/fold{{fold}}/repeat{{repeat}}/history.csv",
        info=f"{RESULTS}/models/{{dataset}}/{{model}}/fold{{fold}}/repeat{{repeat}}/training.json",
    wildcard_constraints:
        model=name_regex(fusion_models()),
        fold=r"official|\d+",
        repeat=r"\d+",
    params:
        models=lambda wc: {wc.model: config["models"][wc.model]},
        manifest=fusion_manifest,
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        seed=config["seed"],
    log:
        f"{RESULTS}/logs/models/{{dataset}}/{{model}}/fold{{fold}}/repeat{{repeat}}.log",
    threads: lambda wc: config["models"][wc.model]["threads"]
    resources:
        gpu=lambda wc: 0 if config["models"][wc.model]["device"] == "cpu" else 1,
        mem_mb=4000,
    conda:
        "../envs/models.yaml"
    script:
        "../scripts/train_fusion_model.py"


rule fusion_tables:
    input:
        unpack(fusion_table_inputs),
    output:
        markdown=report(f"{RESULTS}/tables/{{dataset}}/fusion_models.md", category="Attention fusion", caption="../report/fusion_tables.rst"),
        csv=f"{RESULTS}/tables/{{dataset}}/fusion_models.csv",
        repeats=f"{RESULTS}/tables/{{dataset}}/fusion_models_repeats.csv",
    params:
        runs=lambda wc: fusion_runs(wc.dataset),
        models=lambda wc: {m: config["models"][m] for m in dataset_fusion_models(wc.dataset)},
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
    log:
        f"{RESULTS}/logs/tables/{{dataset}}/fusion_models.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/fusion_tables.py"


rule tzirakis_table6:
    input:
        repeats=f"{RESULTS}/tables/{{dataset}}/fusion_models_repeats.csv",
    output:
        markdown=report(f"{RESULTS}/tables/{{dataset}}/tzirakis_table6.md", category="Attention fusion", caption="../report/fusion_tables.rst"),
        csv=f"{RESULTS}/tables/{{dataset}}/tzirakis_table6.csv",
    params:
        models=lambda wc: {m: config["models"][m] for m in dataset_fusion_models(wc.dataset) if config["models"][m]["kind"] == "attention_fusion"},
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
    log:
        f"{RESULTS}/logs/tables/{{dataset}}/tzirakis_table6.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/tzirakis_table6.py"


rule waligora_table1:
    input:
        repeats=f"{RESULTS}/tables/{{dataset}}/fusion_models_repeats.csv",
    output:
        markdown=report(f"{RESULTS}/tables/{{dataset}}/waligora_table1.md", category="Attention fusion", caption="../report/fusion_tables.rst"),
        csv=f"{RESULTS}/tables/{{dataset}}/waligora_table1.csv",
    params:
        models=lambda wc: {m: config["models"][m] for m in dataset_fusion_models(wc.dataset) if config["models"][m]["kind"] == "jmt"},
        folds=lambda wc: {m: folds.folds(config["models"][m]) for m in dataset_fusion_models(wc.dataset)},
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
    log:
        f"{RESULTS}/logs/tables/{{dataset}}/waligora_table1.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/waligora_table1.py"


rule tzirakis_attention_plot:
    input:
        attention_plot_inputs,
    output:
        report(f"{RESULTS}/plots/{{dataset}}/tzirakis_attention.png", category="Attention fusion", caption="../report/attention_plot.rst"),
    params:
        models=lambda wc: {m: config["models"][m] for m in attention_plot_models(wc.dataset)},
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
    log:
        f"{RESULTS}/logs/plots/{{dataset}}/tzirakis_attention.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/tzirakis_attention_plot.py"
