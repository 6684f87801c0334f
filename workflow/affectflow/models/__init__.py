"""The models: the frame baseline, the shared sequence core, and one subpackage per paper's family.

- ``ridge``: the frame-model baseline (ridge regression on the joined frame tables).
- ``sequence``: the sequence core the neural families share (data, losses, training, one
  configured job, summaries over repeats and folds).
- ``dlstm``: Lucas et al., the DLSTM family with attention (RECOLA).
- ``attention_fusion``: Tzirakis et al., five attention-fusion strategies (SEWA).
- ``tzirakis_e2e``: Tzirakis et al., the end-to-end text, raw-audio and visual networks (SEWA).
- ``jmt``: Waligora et al., the joint multimodal transformer (Aff-Wild2), on features or over its branches.
- ``late_fusion``: Rios et al., late fusion of text, audio and face for VAD.
- ``temporal_aggregation``: Birhala et al., temporal aggregation of audio-visual windows (CREMA-D).

The kind lists are here, free of heavy imports, for the workflow to build its DAG.
"""
FRAME_KINDS = ("ridge",)
# sequence models trained one job per repeat (the DLSTM family)
SEQUENCE_KINDS = ("dlstm", "dlstm_fusion", "dlstm_av")
# sequence models trained one job per (fold, repeat): Tzirakis et al.'s attention fusion, Waligora et al.'s JMT
FOLD_KINDS = ("attention_fusion", "jmt", "tzirakis_e2e_text", "tzirakis_e2e_audio", "tzirakis_e2e_visual", "tzirakis_e2e_fusion",
              "waligora_visual", "waligora_audio", "waligora_jmt")
# the fold kinds that read raw inputs (affectflow.models.sequence.raw), not extracted features
E2E_KINDS = ("tzirakis_e2e_text", "tzirakis_e2e_audio", "tzirakis_e2e_visual", "tzirakis_e2e_fusion")
# Waligora et al.'s branches (R(2+1)D-18 on face clips, ResNet18 + GRU on spectrograms) and the JMT over them, on raw inputs
WALIGORA_KINDS = ("waligora_visual", "waligora_audio", "waligora_jmt")
