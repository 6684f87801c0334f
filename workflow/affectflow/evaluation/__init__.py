"""Scoring, validation splits and the tables, plots and report categories every model shares.

- ``metrics``: CCC (three variance conventions, pooled or per sequence), PCC, MAE, RMSE, UAR, F1.
- ``scoring``: a prediction table → one row per (partition, dimension) with those metrics.
- ``folds``: a model's official split and k-fold re-splits of train+devel (free of heavy imports).
- ``speaker_cv``: leave-one-speaker-out classification.
- ``tables``, ``plots``: Markdown/CSV/HTML tables, bar and trace plots, written atomically.
- ``report_categories``: how ``snakemake --report`` groups its items, one category per paper.

Nothing here imports from ``affectflow.models``: the model families use these, not the reverse.
"""
