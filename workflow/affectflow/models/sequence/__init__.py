"""The sequence core the neural model families share (``dlstm``, ``attention_fusion``, ``jmt``).

- ``data``: sessions → per-modality arrays on the grid with masks → fixed-length sequences.
- ``losses``: 1 − CCC per sequence (averaged over sequences and dimensions) and masked MSE.
- ``train``: ``TrainConfig``, ``fit`` (Adam or SGD, early stopping on dev CCC, checkpoints, per-epoch
  log and history), ``predict`` and ``prediction_table`` (the store's predictions layout).
- ``base``: ``SequenceModel``, the interface a model implements (``forward(x, mask) -> {"pred": …}``),
  and ``masked_softmax``, which keeps unobserved frames out of every family's attention.
- ``run``: one configured job (one repeat, or one fold × repeat); ``BUILDERS`` dispatches on the
  model kind to the builders of the families.
- ``summary``: scores of repeats and folds, mean ± std over repeats; the papers' tables are in
  their families.
"""
