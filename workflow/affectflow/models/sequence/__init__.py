"""Sequence models and the training core they share.

- ``data``: sessions → per-modality arrays on the grid with masks → fixed-length sequences.
- ``losses``: 1 − CCC per sequence (averaged over sequences and dimensions) and masked MSE.
- ``train``: ``TrainConfig``, ``fit`` (Adam, early stopping on dev CCC, checkpoints, per-epoch
  log and history), ``predict`` and ``prediction_table`` (the store's predictions layout).
- ``base.SequenceModel``: the interface a model implements (``forward(x, mask) -> {"pred": …}``).
- ``attention``, ``dlstm``: the DLSTM family of Lucas et al.; ``run``: one configured job.
- ``summary``: scores over repeats (mean ± std) and the papers' tables.
"""
