"""Tzirakis, Chen, Zafeiriou & Schuller, "End-to-end multimodal affect recognition in real-world
environments" (SEWA): the five feature-level fusion strategies on the shared sequence core (kind
``attention_fusion``, one job per fold × repeat).

- ``network``: the strategies, ``AttentionFusionModel`` (fusion → 1-layer LSTM → linear head) and
  its builder.
- ``tables``: the paper's Table 6 (strategies × arousal/valence on the development set).
- ``plots``: the weight of each modality over a held-out session.

Paper: ``../shared/papers/tzirakis-end-to-end-attention-fusion-SEWA.md``.
"""
