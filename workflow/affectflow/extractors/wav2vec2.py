"""wav2vec2 / HuBERT hidden states, and audeering's arousal/dominance/valence regressor (rios-…).

Models load through transformers' ``from_pretrained`` with ``local_files_only=True`` from a local
folder or a hub id already in the local Hugging Face cache: nothing is downloaded at run time, and
a checkpoint that is not here fails with an error naming the folder looked in. Provenance hashes
every weights file (all shards of a sharded checkpoint).

- ``kind: wav2vec2`` — hidden states of ``layer`` (0 = the CNN feature projection, −1 = last).
  ``window_s: null`` (default): the 20 ms frames pooled (mean) over each grid step;
  ``window_s`` set: one row per window, pooled by ``pooling`` (``mean``, ``max`` or
  ``mean_std``). Long sessions run in chunks of ``chunk_s`` (default 20 s) to bound memory.
- ``kind: wav2vec2_dimensions`` — audeering's ``EmotionModel`` (wav2vec2 + a tanh regression head
  on mean-pooled last hidden states; e.g. ``audeering/wav2vec2-large-robust-12-ft-emotion-msp-dim``)
  over windows of ``window_s`` (4.0) every ``window_hop_s`` (1.0); columns named from the
  config's ``id2label`` (arousal, dominance, valence). :func:`predict_spans` gives the same
  predictions for any spans, e.g. interpausal units.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ..core import pretrained
from ..core.segments import window_spans
from .audio import AudioExtractor, pooled_grid_frame, slice_span, windowed_frame
from .base import ExtractorError
from .vggish import device

SAMPLE_RATE = 16000
FRAME_S, RECEPTIVE_S = 0.02, 0.025  # wav2vec2's CNN: 320-sample stride, 400-sample receptive field


def emotion_model_class():
    """audeering's ``EmotionModel`` (model card of wav2vec2-large-robust-12-ft-emotion-msp-dim)."""
    import torch
    import torch.nn as nn
    from transformers.models.wav2vec2.modeling_wav2vec2 import Wav2Vec2Model, Wav2Vec2PreTrainedModel

    class RegressionHead(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.dense = nn.Linear(config.hidden_size, config.hidden_size)
            self.dropout = nn.Dropout(config.final_dropout)
            self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

        def forward(self, x):
            x = self.dropout(x)
            x = torch.tanh(self.dense(x))
            return self.out_proj(self.dropout(x))

    class EmotionModel(Wav2Vec2PreTrainedModel):
        def __init__(self, config):
            super().__init__(config)
            self.config = config
            self.wav2vec2 = Wav2Vec2Model(config)
            self.classifier = RegressionHead(config)
            self.post_init()

        def forward(self, input_values):
            hidden = self.wav2vec2(input_values)[0].mean(dim=1)
            return hidden, self.classifier(hidden)

    return EmotionModel


@lru_cache(maxsize=8)
def _do_normalize(model_ref: str) -> bool:
    from transformers import AutoFeatureExtractor

    try:
        extractor = pretrained.load_local(AutoFeatureExtractor.from_pretrained, model_ref, "feature extractor")
        return bool(getattr(extractor, "do_normalize", True))
    except pretrained.PretrainedNotLocal:
        return True  # no preprocessor_config.json: the wav2vec2 default


def normalise(audio: np.ndarray, model_ref: str) -> np.ndarray:
    """Zero-mean unit-variance input, as the model's feature extractor does when ``do_normalize``."""
    if not _do_normalize(model_ref):
        return audio.astype(np.float32)
    return ((audio - audio.mean()) / np.sqrt(audio.var() + 1e-7)).astype(np.float32)


class _HFAudioExtractor(AudioExtractor):
    packages = ("torch", "transformers", "av", "silero-vad", "onnxruntime")

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def model_ref(self) -> str:
        ref = self.params.get("model")
        if not ref:
            raise ExtractorError(f"extractor '{self.name}': set `model:` to a hub id or a local folder")
        return str(ref)

    def model_id(self) -> str:
        return self.model_ref

    def weights_sha256(self) -> str | None:
        return pretrained.weights_sha256(self.model_ref)

    def _load(self, cls):
        try:
            return pretrained.load_local(cls.from_pretrained, self.model_ref, f"extractor '{self.name}'").eval().to(device())
        except pretrained.PretrainedNotLocal as exc:
            raise ExtractorError(str(exc)) from exc


class Wav2Vec2HiddenStates(_HFAudioExtractor):
    version = "1"

    def features(self, audio, sr, duration, hop_s, session) -> pd.DataFrame:
        import torch
        from transformers import AutoModel

        model = self._load(AutoModel)
        layer = int(self.params.get("layer", -1))
        chunk = int(float(self.params.get("chunk_s", 20.0)) * sr)
        x = normalise(audio, self.model_ref)
        frames, times = [], []
        with torch.inference_mode():
            for start in range(0, len(x), chunk):
                piece = x[start:start + chunk]
                if len(piece) < int(RECEPTIVE_S * sr):
                    break
                hs = model(torch.from_numpy(piece)[None].to(device()), output_hidden_states=True).hidden_states
                if not -len(hs) <= layer < len(hs):
                    raise ExtractorError(f"extractor '{self.name}': layer {layer} out of range; the model has {len(hs)} hidden states (0 … {len(hs) - 1})")
                h = hs[layer][0].float().cpu().numpy()
                frames.append(h)
                times.append(start / sr + np.arange(len(h)) * FRAME_S + RECEPTIVE_S / 2)
        h, t = np.concatenate(frames), np.concatenate(times)
        cols = [f"w2v_l{layer}_{i:04d}" for i in range(h.shape[1])]
        window = self.params.get("window_s")
        if window is None:
            return pooled_grid_frame(session, t, h, duration, hop_s, cols)
        spans = window_spans(duration, window, self.params.get("window_hop_s") or window)
        pooling = self.params.get("pooling", "mean")
        rows = []
        for t0, t1 in spans:
            sel = h[(t >= t0) & (t < t1)]
            if pooling == "mean":
                rows.append(sel.mean(0))
            elif pooling == "max":
                rows.append(sel.max(0))
            else:
                rows.append(np.r_[sel.mean(0), sel.std(0)])
        if pooling == "mean_std":
            cols = [f"{c}_mean" for c in cols] + [f"{c}_std" for c in cols]
        return windowed_frame(session, spans, np.vstack(rows), cols)


def predict_spans(model, audio: np.ndarray, sr: int, spans: list[tuple[float, float]], model_ref: str) -> np.ndarray:
    """``(n_spans, num_labels)`` predictions of an ``EmotionModel`` on each span of ``audio``."""
    import torch

    out = []
    with torch.inference_mode():
        for t0, t1 in spans:
            piece = normalise(slice_span(audio, sr, t0, t1), model_ref)
            _, logits = model(torch.from_numpy(piece)[None].to(device()))
            out.append(logits[0].float().cpu().numpy())
    return np.vstack(out)


class Wav2Vec2Dimensions(_HFAudioExtractor):
    version = "1"

    def features(self, audio, sr, duration, hop_s, session) -> pd.DataFrame:
        model = self._load(emotion_model_class())
        labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        spans = window_spans(duration, self.params.get("window_s", 4.0), self.params.get("window_hop_s", 1.0))
        return windowed_frame(session, spans, predict_spans(model, audio, sr, spans, self.model_ref), [str(c) for c in labels])
