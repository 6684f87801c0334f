"""Rule lucas_tables: Tables 1 and 2 of Lucas et al. (RECOLA DLSTM paper) on one dataset."""
from affectflow.core import logs
from affectflow.evaluation import tables
from affectflow.models.dlstm.tables import lucas_table1, lucas_table2
from affectflow.models.sequence import summary

log = logs.setup(snakemake.log[0])
dims, models, variance = list(snakemake.params.dimensions), snakemake.params.models, snakemake.params.variance
dataset = snakemake.wildcards.dataset
scores, _ = summary.scores_and_timing(snakemake.params.runs, snakemake.input.predictions, snakemake.input.info, dims, variance)
over = summary.over_repeats(scores)
t1 = lucas_table1(over, models, dims, scores=scores)
t2 = lucas_table2(over, models, dims, dataset)
caption = summary.caption(tables.VARIANCE_WORDS[variance], dict(zip(over["model"], over["repeats"])))
fusion_parts = sorted({" + ".join(cfg["train_partitions"]) for cfg in models.values() if cfg["kind"] == "dlstm_fusion"})
trained_on = (f" Their fusion layers were trained on {' / '.join(fusion_parts)}; where that includes the partition the epoch is "
              "selected on, that partition's fusion scores are optimistic (test is never trained on)." if fusion_parts else "")
tables.write_markdown(t1, snakemake.output.table1, f"{dataset}: Table 1 of Lucas et al. — uni-modal DLSTMs and their fusion",
                      caption + " Fusion rows fuse frozen pre-trained DLSTMs (repeat `pretrained_repeat` of each); a fused DLSTM's "
                      "cell adds that repeat's own CCC in brackets." + trained_on)
tables.write_markdown(t2, snakemake.output.table2, f"{dataset}: Table 2 of Lucas et al. — end-to-end model",
                      caption + " The first rows are the numbers the paper reports on RECOLA, for the layout; they were not computed here.")
log.info("\n%s\n\n%s", t1.to_string(), t2.to_string())
