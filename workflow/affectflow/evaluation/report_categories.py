"""How the HTML report (``snakemake --report``) groups its items: one category per paper.

A model kind that reproduces a paper registers here (``PAPER_OF_KIND``); every other model
(the ridge baseline, ablations) lands under ``BASELINES``. Tables over all models of a
dataset are under ``ALL_MODELS``.
"""
from __future__ import annotations

PAPERS: dict[str, str] = {
    "birhala": "Birhala et al.: temporal aggregation of audio-visual modalities (CREMA-D)",
    "lucas": "Lucas et al.: deep dimensional recognition with attention (RECOLA)",
    "rios": "Rios et al.: late fusion of text, audio and face for VAD",
    "tzirakis": "Tzirakis et al.: end-to-end attention fusion (SEWA)",
    "waligora": "Waligora et al.: joint multimodal transformer (Aff-Wild2)",
}
# model kind -> key of PAPERS (the kinds of affectflow.models; late fusion and temporal
# aggregation are not model kinds: their rules file their items under their paper directly)
PAPER_OF_KIND: dict[str, str] = {
    "dlstm": "lucas", "dlstm_fusion": "lucas", "dlstm_av": "lucas",
    "attention_fusion": "tzirakis",
    "tzirakis_e2e_text": "tzirakis", "tzirakis_e2e_audio": "tzirakis", "tzirakis_e2e_visual": "tzirakis",
    "tzirakis_e2e_fusion": "tzirakis",
    "jmt": "waligora", "waligora_visual": "waligora", "waligora_audio": "waligora", "waligora_jmt": "waligora",
}
BASELINES = "Baselines"
ALL_MODELS = "All models"


def category_of_model(name: str, cfg: dict) -> str:
    """The report category of model instance ``name`` (config ``cfg``): its paper, or Baselines."""
    paper = cfg.get("paper") or PAPER_OF_KIND.get(cfg["kind"])
    if paper is None:
        return BASELINES
    if paper not in PAPERS:
        raise KeyError(f"model '{name}': unknown paper '{paper}'; known: {sorted(PAPERS)}")
    return PAPERS[paper]
