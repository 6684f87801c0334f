# The manifest as a file people (and `affectflow check`) can read; jobs use the in-memory one.


rule manifest:
    output:
        f"{RESULTS}/manifest/{{dataset}}.csv",
    params:
        table=lambda wc: MANIFESTS[wc.dataset].table.to_dict(orient="list"),
    log:
        f"{RESULTS}/logs/manifest/{{dataset}}.log",
    localrule: True
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/manifest.py"
