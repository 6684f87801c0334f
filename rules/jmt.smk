# The joint multimodal transformer of Waligora et al. (Aff-Wild2): the paper's Table 1, from the
# per-fold table of rules/attention_fusion.smk, for the feature-based JMT (kind jmt) and, from raw
# inputs, the visual and audio branches and the JMT over them (WALIGORA_KINDS). Training:
# train_sequence_fold (rules/sequence.smk); a waligora_jmt job waits for its two branches' jobs of the
# same fold and repeat, whose checkpoints it loads and freezes (fold_model_inputs).


rule waligora_table1:
    input:
        repeats=f"{RESULTS}/tables/{{dataset}}/fusion_models_repeats.csv",
    output:
        markdown=report(f"{RESULTS}/tables/{{dataset}}/waligora_table1.md", category="Attention fusion", caption="../report/attention_fusion_tables.rst"),
        csv=f"{RESULTS}/tables/{{dataset}}/waligora_table1.csv",
    params:
        models=lambda wc: {m: config["models"][m] for m in dataset_fold_models(wc.dataset)
                           if config["models"][m]["kind"] in ("jmt", *WALIGORA_KINDS)},
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
