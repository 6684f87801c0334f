"""Lucas, Ghaleb & Asteriadis, "Deep, dimensional and multimodal emotion recognition using attention
mechanisms" (RECOLA): the DLSTM family on the shared sequence core, one job per repeat.

- ``attention``: embedding attention (GDP) and the fusion layers (bimodal attention, OLB, HLB).
- ``network``: ``DLSTM`` and ``DLSTMFusion``, and the builders of the kinds ``dlstm``,
  ``dlstm_fusion`` (frozen pre-trained DLSTMs) and ``dlstm_av`` (end to end).
- ``tables``: the paper's Tables 1 and 2.

Paper: ``../shared/papers/lucas-DLSTM-attention-RECOLA.md``.
"""
