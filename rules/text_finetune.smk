# Fine-tuned text classifiers (LLRD, early stopping on dev micro-F1): one job per text_models entry.
# A text_logits extractor with `finetuned: NAME` depends on the checkpoint this writes.


rule finetune_text:
    output:
        checkpoint=directory(f"{RESULTS}/text_models/{{text_model}}/checkpoint"),
        label_map=f"{RESULTS}/text_models/{{text_model}}/label_map.json",
        training=f"{RESULTS}/text_models/{{text_model}}/training.json",
    params:
        cfg=lambda wc: config["text_models"][wc.text_model],
        out_dir=lambda wc: finetuned_dir(wc.text_model),
        seed=config["seed"],
    log:
        f"{RESULTS}/logs/text_models/{{text_model}}.log",
    threads: 2
    resources:
        mem_mb=6000,
        gpu=lambda wc: gpu_for(config["text_models"][wc.text_model].get("device")),
    conda:
        "../envs/text.yaml"
    script:
        "../scripts/finetune_text.py"
