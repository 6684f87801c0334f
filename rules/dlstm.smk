# The DLSTM family of Lucas et al. (RECOLA): every sequence model of a dataset over its repeats,
# and the paper's Tables 1 and 2. Training: train_sequence_model (rules/sequence.smk).


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
