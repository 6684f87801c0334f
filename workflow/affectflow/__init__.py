"""affectflow: multimodal emotion-recognition features and models, as a Snakemake pipeline."""
__version__ = "0.1.0"
