"""Tzirakis et al. (SEWA), the end-to-end part: the text, raw-audio and visual networks of section
4.1 on the store's raw inputs (word embeddings, waveform chunks, face crops), their unimodal
pre-training and the multimodal network initialised from it (kinds ``model.E2E_KINDS``, trained
per fold × repeat by the sequence core).

- ``networks``: the three networks and the per-frame wrapper.
- ``model``: the sequence models, their builders and the checkpoint initialisation.
- ``tables``: Tables 2–5 and 7 of the paper from these runs.
- ``fine_tuning``: the multimodal network's test and devel CCC epoch by epoch (a diagnostic, not a rule).

Paper: ``../shared/papers/tzirakis-end-to-end-attention-fusion-SEWA.md``.
"""
