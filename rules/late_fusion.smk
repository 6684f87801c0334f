# Late fusion (Rios et al.): one label-shift job per (dataset, fusion) when shifts are searched,
# one job per (dataset, fusion, modality combination), then Table 1.


rule late_fusion_shift:
    """The label shift per dimension, chosen once on all modalities' inputs (training rows only), shared by every combination."""
    input:
        unpack(late_fusion_shift_inputs),
    output:
        shift=f"{RESULTS}/fusion/{{dataset}}/{{fusion}}/label_shift.json",
    params:
        fusion=lambda wc: config["fusions"][wc.fusion],
        manifest=late_fusion_manifest,
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
    log:
        f"{RESULTS}/logs/fusion/{{dataset}}/{{fusion}}/label_shift.log",
    threads: 1
    resources:
        mem_mb=4000,
    conda:
        "../envs/models.yaml"
    script:
        "../scripts/late_fusion_shift.py"


rule fuse_combination:
    input:
        unpack(late_fusion_inputs),
    output:
        predictions=f"{RESULTS}/fusion/{{dataset}}/{{fusion}}/{{combination}}/predictions.parquet",
        scores=f"{RESULTS}/fusion/{{dataset}}/{{fusion}}/{{combination}}/scores.csv",
        info=f"{RESULTS}/fusion/{{dataset}}/{{fusion}}/{{combination}}/training.json",
    params:
        fusion=late_fusion_params,
        manifest=late_fusion_manifest,
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
        seed=config["seed"],
    log:
        f"{RESULTS}/logs/fusion/{{dataset}}/{{fusion}}/{{combination}}.log",
    # every fit is small (max_fit_rows): the trees run 5-20x slower on 2 threads of a busy 2-core machine
    # than on one, so a job takes one core and two combinations run side by side
    threads: 1
    resources:
        mem_mb=4000,
    conda:
        "../envs/models.yaml"
    script:
        "../scripts/fuse_combination.py"


rule late_fusion_table:
    input:
        scores=lambda wc: [f"{RESULTS}/fusion/{wc.dataset}/{wc.fusion}/{c}/scores.csv" for c in late_fusion_combinations(wc.fusion)],
        infos=lambda wc: [f"{RESULTS}/fusion/{wc.dataset}/{wc.fusion}/{c}/training.json" for c in late_fusion_combinations(wc.fusion)],
    output:
        markdown=report(f"{RESULTS}/tables/{{dataset}}/fusion_{{fusion}}_table1.md", category="Fusion", caption="../report/late_fusion_table.rst"),
        csv=f"{RESULTS}/tables/{{dataset}}/fusion_{{fusion}}_table1.csv",
        latex=f"{RESULTS}/tables/{{dataset}}/fusion_{{fusion}}_table1.tex",
        grid=f"{RESULTS}/tables/{{dataset}}/fusion_{{fusion}}_grid.csv",
        plot=report(f"{RESULTS}/plots/{{dataset}}/fusion_{{fusion}}.png", category="Fusion", caption="../report/late_fusion_plot.rst"),
    params:
        combinations=lambda wc: late_fusion_combinations(wc.fusion),
        dimensions=lambda wc: config["datasets"][wc.dataset]["dimensions"],
        variance=config["metrics"]["ccc_variance"],
        unit=lambda wc: config["fusions"][wc.fusion]["unit"],
    log:
        f"{RESULTS}/logs/tables/{{dataset}}/fusion_{{fusion}}.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/late_fusion_table.py"
