# Sequence models (DLSTM family and the other neural fusion models): one job per
# (dataset, model, repeat), then one table job per dataset.


rule train_sequence_model:
    input:
        unpack(sequence_model_inputs),
    output:
        predictions=f"{RESULTS}/predictions/{{dataset}}/{{model}}/repeat{{repeat}}.parquet",
        checkpoint=f"{RESULTS}/models/{{dataset}}/{{model}}/repeat{{repeat}}/checkpoint.pt",
        history=f"{RESULTS}/models/{{dataset}}/{{model}}/repeat{{repeat}}/history.csv",
        info=f"{RESULTS}/models/{{dataset}}/{{model}}/repeat{{repeat}}/training.json",
    wildcard_constraints:
        model=name_regex(sequence_models()),
        repeat=r"\d+",
    params:
        models=lambda wc: sequence_model_configs(wc.model),
        pretrained=lambda wc: config["models"][wc.model].get("pretrained", []),
        manifest=lambda wc: MANIFESTS[wc.dataset].table[["session", "speaker", "partition"]].to_dict(orient="list"),
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        seed=config["seed"],
    log:
        f"{RESULTS}/logs/models/{{dataset}}/{{model}}/repeat{{repeat}}.log",
    threads: lambda wc: config["models"][wc.model]["threads"]
    resources:
        gpu=lambda wc: 0 if config["models"][wc.model]["device"] == "cpu" else 1,
        mem_mb=4000,
    conda:
        "../envs/models.yaml"
    script:
        "../scripts/train_sequence_model.py"


rule sequence_tables:
    input:
        unpack(sequence_table_inputs),
    output:
        markdown=report(f"{RESULTS}/tables/{{dataset}}/sequence_models.md", category="Sequence models", caption="../report/sequence_models.rst"),
        csv=f"{RESULTS}/tables/{{dataset}}/sequence_models.csv",
        repeats=f"{RESULTS}/tables/{{dataset}}/sequence_models_repeats.csv",
    params:
        runs=lambda wc: sequence_runs(wc.dataset),
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
    log:
        f"{RESULTS}/logs/tables/{{dataset}}/sequence_models.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/sequence_tables.py"


rule lucas_tables:
    input:
        unpack(lambda wc: sequence_table_inputs(wc, LUCAS_KINDS)),
    output:
        table1=report(f"{RESULTS}/tables/{{dataset}}/lucas_table1.md", category="Sequence models", caption="../report/lucas_tables.rst"),
        table2=report(f"{RESULTS}/tables/{{dataset}}/lucas_table2.md", category="Sequence models", caption="../report/lucas_tables.rst"),
    params:
        runs=lambda wc: sequence_runs(wc.dataset, LUCAS_KINDS),
        models=lambda wc: {m: config["models"][m] for m in dataset_sequence_models(wc.dataset, LUCAS_KINDS)},
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
    log:
        f"{RESULTS}/logs/tables/{{dataset}}/lucas_tables.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/lucas_tables.py"
