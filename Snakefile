# affectflow — see README.md. Thin on purpose: rules live in rules/, logic in workflow/affectflow/.

configfile: "config.yaml"


include: "rules/common.smk"
include: "rules/demo.smk"
include: "rules/manifest.smk"
include: "rules/labels.smk"
include: "rules/audio.smk"
include: "rules/face.smk"
include: "rules/segments.smk"
include: "rules/text.smk"
include: "rules/text_finetune.smk"
include: "rules/shards.smk"
include: "rules/ridge.smk"
include: "rules/evaluate.smk"
include: "rules/sequence.smk"
include: "rules/dlstm.smk"
include: "rules/attention_fusion.smk"
include: "rules/jmt.smk"
include: "rules/late_fusion.smk"
include: "rules/temporal_aggregation.smk"


rule all:
    input:
        wired(all_targets()),
    default_target: True
