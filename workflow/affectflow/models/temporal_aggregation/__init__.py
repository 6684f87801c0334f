"""Birhala, Ristea, Radoi & Dutu, "Temporal aggregation of audio-visual modalities for emotion
recognition" (CREMA-D): categorical emotion from asynchronous face + speech windows.

- ``sampling``: N segments per clip, a face frame and an audio window drawn per segment.
- ``network``: the audio-visual CNN shared by the segments, aggregation of their scores, training.
- ``cv``: speaker-independent k-fold cross-validation (one fold per job).
- ``report``: accuracy per fold, recall per class, confusion matrix; accuracy against N.

Paper: ``../shared/papers/birhala-temporal-aggregation-CREMA-D.md``.
"""
