"""Models trained on the joined frame tables (``ridge``) and on sequences (``sequence``).

The kind lists are here, free of heavy imports, for the workflow to build its DAG.
"""
FRAME_KINDS = ("ridge",)
SEQUENCE_KINDS = ("dlstm", "dlstm_fusion", "dlstm_av")
# attention fusion of Tzirakis et al. and the joint multimodal transformer: trained per (fold, repeat)
FUSION_KINDS = ("attention_fusion", "jmt")
