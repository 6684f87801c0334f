# The joint multimodal transformer of Waligora et al. (Aff-Wild2): the paper's Table 1, from the
# per-fold table of rules/attention_fusion.smk. Training: train_sequence_fold (rules/sequence.smk).


rule waligora_table1:
    input:
        repeats=f"{RESULTS}/tables/{{dataset}}/fusion_models_repeats.csv",
    output:
        markdown=report(f"{RESULTS}/tables/{{dataset}}/waligora_table1.md", category="Attention fusion", caption="../report/attention_fusion_tables.rst"),
        csv=f"{RESULTS}/tables/{{dataset}}/waligora_table1.csv",
    params:
        models=lambda wc: {m: config["models"][m] for m in dataset_fold_models(wc.dataset) if config["models"][m]["kind"] == "jmt"},
        folds=lambda wc: {m: folds.folds(config["models"][m]) for m in dataset_fold_models(wc.dataset)},
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
    log:
        f"{RESULTS}/logs/tables/{{dataset}}/waligora_table1.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/waligora_table1.py"
