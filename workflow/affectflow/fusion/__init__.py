"""Classic late fusion (Rios et al.): unimodal outputs or features of several modalities in,
KNN / FF / SVR / XGBoost / LightGBM / multitask FF out, tuned by Bayesian optimisation in
speaker-disjoint cross-validation, scored for every modality combination (their Table 1)."""
