# The ridge frame-model baseline, trained on joined frame tables: one job per (dataset, model).

rule train_model:
    input:
        unpack(model_inputs),
    output:
        predictions=f"{RESULTS}/predictions/{{dataset}}/{{model}}.parquet",
        info=f"{RESULTS}/models/{{dataset}}/{{model}}/training.json",
    wildcard_constraints:
        model=name_regex([m for m, c in config["models"].items() if c["kind"] in FRAME_KINDS]),
    params:
        model=lambda wc: config["models"][wc.model],
        manifest=lambda wc: MANIFESTS[wc.dataset].table[["session", "speaker", "partition"]].to_dict(orient="list"),
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        seed=config["seed"],
    log:
        f"{RESULTS}/logs/models/{{dataset}}/{{model}}.log",
    threads: 2
    conda:
        "../envs/models.yaml"
    script:
        "../scripts/train_model.py"
