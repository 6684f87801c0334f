# Scores, tables and plots of the frame models (the ridge baseline): per model, then per dataset;
# and the leaderboard over every model family of a dataset.


rule score_model:
    input:
        predictions=f"{RESULTS}/predictions/{{dataset}}/{{model}}.parquet",
    output:
        scores=f"{RESULTS}/metrics/{{dataset}}/{{model}}.csv",
        traces=report(
            f"{RESULTS}/plots/{{dataset}}/{{model}}_test_traces.png",
            category=report_category,
            subcategory="{dataset}",
            labels={"model": "{model}", "figure": "test traces"},
            caption="../report/traces.rst",
        ),
    params:
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
    log:
        f"{RESULTS}/logs/metrics/{{dataset}}/{{model}}.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/score_model.py"


rule model_table:
    input:
        scores=lambda wc: [f"{RESULTS}/metrics/{wc.dataset}/{m}.csv" for m in dataset_frame_models(wc.dataset)],
    output:
        markdown=f"{RESULTS}/tables/{{dataset}}/models.md",
        csv=f"{RESULTS}/tables/{{dataset}}/models.csv",
        html=report(
            f"{RESULTS}/tables/{{dataset}}/models.html",
            category=report_categories.ALL_MODELS,
            subcategory="{dataset}",
            labels={"item": "table"},
            caption="../report/models_table.rst",
        ),
        plot=report(
            f"{RESULTS}/plots/{{dataset}}/models_test_ccc.png",
            category=report_categories.ALL_MODELS,
            subcategory="{dataset}",
            labels={"item": "pooled test CCC plot"},
            caption="../report/models_plot.rst",
        ),
    params:
        models=lambda wc: dataset_frame_models(wc.dataset),
        variance=config["metrics"]["ccc_variance"],
    log:
        f"{RESULTS}/logs/tables/{{dataset}}/models.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/model_table.py"


rule leaderboard:
    input:
        unpack(leaderboard_inputs),
    output:
        markdown=f"{RESULTS}/tables/{{dataset}}/leaderboard.md",
        csv=f"{RESULTS}/tables/{{dataset}}/leaderboard.csv",
        plot=report(
            f"{RESULTS}/plots/{{dataset}}/leaderboard.png",
            category=report_categories.ALL_MODELS,
            subcategory="{dataset}",
            labels={"item": "leaderboard"},
            caption="../report/leaderboard.rst",
        ),
    params:
        models=lambda wc: {m: config["models"][m] for m in with_pretrained(dataset_models(wc.dataset))},
        late_fusions=lambda wc: {fu: config["fusions"][fu] for fu in dataset_late_fusions(wc.dataset)},
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
    log:
        f"{RESULTS}/logs/tables/{{dataset}}/leaderboard.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/leaderboard.py"
