"""Waligora et al., "Joint Multimodal Transformer for Dimensional Emotional Recognition in the Wild"
(Aff-Wild2) on the shared sequence core (kind ``jmt``, one job per fold × repeat).

- ``network``: ``JointMultimodalTransformer`` (audio, visual and joint streams, cross-attention
  between them) and its builder.
- ``branches``: the paper's backbones as branches (R(2+1)D-18 over face clips, ResNet18 + GRU over
  spectrograms) and ``WaligoraJMT``, the fusion over the frozen branches (tensor inputs).
- ``spectrogram``: the audio branch's 64 × 107 log-mel spectrogram per clip.
- ``waligora``: the branches and the JMT over them as sequence-core kinds on raw inputs
  (``waligora_visual``, ``waligora_audio``, ``waligora_jmt``, trained per fold in the DAG).
- ``tables``: the paper's Table 1 (the official split and each fold, and the mean over the folds), and
  the networks (branches, JMT) side by side.

Paper: ``../shared/papers/waligora-joint-multimodal-transformer-AffWild2.md``.
"""
