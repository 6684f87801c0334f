"""Rios et al., "Multimodal Recognition of Valence, Arousal and Dominance via Late-Fusion of Text,
Audio and Facial Expressions": unimodal outputs or features of several modalities in, KNN / FF /
SVR / XGBoost / LightGBM / multitask FF out, tuned by Bayesian optimisation in speaker-disjoint
cross-validation, scored for every modality combination (their Table 1).

- ``inputs``: a modality's inputs on the label grid (store features, model predictions, files).
- ``segment_tables``: inputs pooled over segments, targets from right-shifted labels.
- ``label_shift``: the shift that compensates the annotators' delay, per dimension.
- ``models``, ``training``: the regressors behind one interface; tuning, training and scoring.
- ``pipeline``: one job: one modality combination, every model.
- ``report``: modality combinations, Table 1, the model × combination grid and its plot.
- ``sentences``: the same on a sentence corpus with rated dimensions (EmoBank).

Paper: ``../shared/papers/rios-late-fusion-text-audio-face-VAD.md``.
"""
