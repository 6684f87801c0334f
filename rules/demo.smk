# The embedded synthetic demo corpus: one job per session (or per shard of sessions: rules/shards.smk), deterministic from the seed.

rule demo_session:
    output:
        media=f"{RESULTS}/demo/{{session}}/{{session}}.mp4",
        transcript=f"{RESULTS}/demo/{{session}}/{{session}}.words.json",
        labels=f"{RESULTS}/demo/{{session}}/{{session}}.labels.csv",
    wildcard_constraints:
        session=unsharded_sessions("demo_session"),
    params:
        options=demo_options(),
    log:
        f"{RESULTS}/logs/demo/{{session}}.log",
    conda:
        "../envs/core.yaml"
    script:
        "../scripts/demo_session.py"
