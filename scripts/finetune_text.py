"""Rule finetune_text: fine-tune a transformer classifier with LLRD on a labelled text corpus."""
import json

from affectflow.core import logs
from affectflow.core.store import atomic_path
from affectflow.text import corpora, finetune

log = logs.setup(snakemake.log[0])
cfg = dict(snakemake.params.cfg)
corpus = corpora.load(cfg["corpus"]["name"], cfg["corpus"].get("root", "../shared/data"))
options = {k: cfg[k] for k in ("lr", "layer_decay", "weight_decay", "epochs", "patience", "batch_size", "max_length",
                               "max_train", "max_eval", "device") if k in cfg}
record = finetune.finetune(cfg["base_model"], corpus, snakemake.params.out_dir, seed=snakemake.params.seed, **options)
with atomic_path(snakemake.output.training) as tmp:
    tmp.write_text(json.dumps(record, indent=1))
