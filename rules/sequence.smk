# The sequence core's training jobs, shared by the neural model families: one job per
# (dataset, model, repeat) for the DLSTM family (tables in rules/dlstm.smk), one per
# (dataset, model, fold, repeat) for the kinds trained on folds, Tzirakis et al.'s attention fusion and
# end-to-end networks and Waligora et al.'s JMT (tables in rules/attention_fusion.smk and rules/jmt.smk).
# A tzirakis_e2e_fusion job waits for its unimodal networks' jobs of the same fold and repeat, whose
# checkpoints initialise it (fold_model_inputs).


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


rule train_sequence_fold:
    input:
        unpack(fold_model_inputs),
    output:
        predictions=f"{RESULTS}/predictions/{{dataset}}/{{model}}/fold{{fold}}/repeat{{repeat}}.parquet",
        checkpoint=f"{RESULTS}/models/{{dataset}}/{{model}}/fold{{fold}}/repeat{{repeat}}/checkpoint.pt",
        history=f"{RESULTS}/models/{{dataset}}/{{model}}/fold{{fold}}/repeat{{repeat}}/history.csv",
        info=f"{RESULTS}/models/{{dataset}}/{{model}}/fold{{fold}}/repeat{{repeat}}/training.json",
    wildcard_constraints:
        model=name_regex(fold_models()),
        fold=r"official|\d+",
        repeat=r"\d+",
    params:
        models=lambda wc: sequence_model_configs(wc.model),
        pretrained=fold_pretrained_names,
        manifest=fold_partitions,
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
        "../scripts/train_sequence_fold.py"
