# Attention fusion of Tzirakis et al. (SEWA): the table of every model trained per fold (the
# five strategies and, as it shares their layout, Waligora et al.'s JMT, whose Table 1 reads it in
# rules/jmt.smk), the paper's Table 6, its Tables 2-5 and 7 (with the end-to-end networks) and the
# modality attention plot. Training:
# train_sequence_fold (rules/sequence.smk).


rule attention_fusion_tables:
    input:
        unpack(attention_fusion_table_inputs),
    output:
        markdown=report(f"{RESULTS}/tables/{{dataset}}/fusion_models.md", category="Attention fusion", caption="../report/attention_fusion_tables.rst"),
        csv=f"{RESULTS}/tables/{{dataset}}/fusion_models.csv",
        repeats=f"{RESULTS}/tables/{{dataset}}/fusion_models_repeats.csv",
    params:
        runs=lambda wc: fold_runs(wc.dataset),
        models=lambda wc: {m: config["models"][m] for m in dataset_fold_models(wc.dataset)},
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
    log:
        f"{RESULTS}/logs/tables/{{dataset}}/fusion_models.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/attention_fusion_tables.py"


rule tzirakis_table6:
    input:
        repeats=f"{RESULTS}/tables/{{dataset}}/fusion_models_repeats.csv",
    output:
        markdown=report(f"{RESULTS}/tables/{{dataset}}/tzirakis_table6.md", category="Attention fusion", caption="../report/attention_fusion_tables.rst"),
        csv=f"{RESULTS}/tables/{{dataset}}/tzirakis_table6.csv",
    params:
        models=lambda wc: {m: config["models"][m] for m in dataset_fold_models(wc.dataset) if config["models"][m]["kind"] == "attention_fusion"},
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
    log:
        f"{RESULTS}/logs/tables/{{dataset}}/tzirakis_table6.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/tzirakis_table6.py"


rule tzirakis_attention_plot:
    input:
        attention_plot_inputs,
    output:
        plot=report(f"{RESULTS}/plots/{{dataset}}/tzirakis_attention.png", category="Attention fusion", caption="../report/attention_plot.rst"),
        content=f"{RESULTS}/tables/{{dataset}}/tzirakis_attention_content.csv",
        content_md=f"{RESULTS}/tables/{{dataset}}/tzirakis_attention_content.md",
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


# Tables 2-5 and 7 of Tzirakis et al.: the unimodal networks (end-to-end and feature-based) and the
# multimodal ones, from the same per-fold runs; gains: each multimodal network against its own
# unimodal networks (test, pooled CCC).
rule tzirakis_e2e_tables:
    input:
        repeats=f"{RESULTS}/tables/{{dataset}}/fusion_models_repeats.csv",
    output:
        **{f"table{n}": report(f"{RESULTS}/tables/{{dataset}}/tzirakis_table{n}.md", category="Attention fusion",
                                caption="../report/attention_fusion_tables.rst") for n in (2, 3, 4, 5, 7)},
        **{f"table{n}_csv": f"{RESULTS}/tables/{{dataset}}/tzirakis_table{n}.csv" for n in (2, 3, 4, 5, 7)},
        gains=f"{RESULTS}/tables/{{dataset}}/tzirakis_multimodal_gains.csv",
    params:
        models=lambda wc: {m: config["models"][m] for m in dataset_fold_models(wc.dataset)
                           if config["models"][m]["kind"] in ("attention_fusion", *E2E_KINDS)},
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
    log:
        f"{RESULTS}/logs/tables/{{dataset}}/tzirakis_e2e_tables.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/tzirakis_e2e_tables.py"
