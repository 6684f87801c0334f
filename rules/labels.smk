# Labels of one session on the dataset's time grid (continuous) or as one clip row (categorical).

rule grid_labels:
    input:
        unpack(label_inputs),
    output:
        f"{RESULTS}/labels/{{dataset}}/{{session}}.parquet",
    wildcard_constraints:
        session=unsharded_sessions("grid_labels"),
    params:
        row=session_row,
        hop_s=lambda wc: config["datasets"][wc.dataset]["hop_s"],
        delay_s=lambda wc: config["datasets"][wc.dataset]["annotation_delay_s"],
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
    log:
        f"{RESULTS}/logs/labels/{{dataset}}/{{session}}.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/grid_labels.py"
