"""The DLSTM family of Lucas, Ghaleb & Asteriadis (RECOLA): DLSTM, embedding attention, fusion.

``DLSTM``: two stacked LSTM layers with dropout between them and a linear head to the label
dimensions, per frame. Its input is the concatenation of its modalities' features, each followed
by the modality's mask (1 observed / 0 missing) so that a missing frame is never mistaken for an
observation of zeros. With ``embedding_attention`` the input at frame t is instead the GDP
attention of the top LSTM layer's previous state over the embeddings of a window centred on t
(13 frames by default); the attention is bypassed (plain input) for the first
``bypass_epochs`` epochs, as the paper does to break the cyclic start-up between the attention
and an untrained state.

``DLSTMFusion``: n DLSTMs fused per frame by bimodal attention (eqs. 3–5), OLB (eq. 6) or HLB
(eq. 7). With ``freeze=True`` the DLSTMs are pre-trained networks whose weights stay fixed
(Table 1); with ``freeze=False`` everything trains end to end (the final model of Table 2:
audio, video with embedding attention and an early-fusion audio+video DLSTM).
"""
from __future__ import annotations

import torch
from torch import nn

from ..sequence.base import SequenceModel
from ..sequence.train import load_checkpoint
from .attention import EmbeddingAttention, make_fusion


class DLSTM(SequenceModel):
    def __init__(self, modalities: list[str], input_dims: dict[str, int], n_outputs: int, hidden_size: int = 64,
                 num_layers: int = 2, dropout: float = 0.2, embedding_attention: bool = False,
                 attention_window: int = 13, bypass_epochs: int = 5):
        super().__init__()
        missing = [m for m in modalities if m not in input_dims]
        if missing:
            raise ValueError(f"DLSTM: modalities {missing} are not in the data (have {sorted(input_dims)})")
        if embedding_attention and len(modalities) != 1:
            raise ValueError(f"embedding attention attends over one modality's embeddings, got {modalities}")
        self.modalities = list(modalities)
        self.hidden_size = hidden_size
        size = sum(input_dims[m] + 1 for m in modalities)  # features + mask per modality
        self.lstm = nn.LSTM(size, hidden_size, num_layers=num_layers, dropout=dropout if num_layers > 1 else 0.0, batch_first=True)
        self.head = nn.Linear(hidden_size, n_outputs)
        self.attention = EmbeddingAttention(hidden_size, input_dims[modalities[0]], attention_window) if embedding_attention else None
        self.warmup_epochs = bypass_epochs if embedding_attention else 0
        self.bypass_epochs = bypass_epochs
        self.register_buffer("attention_on", torch.tensor(False))

    def on_epoch_start(self, epoch: int) -> None:
        self.attention_on.fill_(self.attention is not None and epoch >= self.bypass_epochs)

    def present(self, mask: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, L) True where every modality of this network was observed."""
        return torch.stack([mask[m] for m in self.modalities], dim=-1).all(-1)

    def _inputs(self, x, mask) -> torch.Tensor:
        return torch.cat([t for m in self.modalities for t in (x[m], mask[m].unsqueeze(-1).to(x[m].dtype))], dim=-1)

    def encode(self, x: dict[str, torch.Tensor], mask: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``pred`` (B, L, O), ``hidden`` (B, L, H) and, with attention on, ``embedding_attention`` (B, L, n)."""
        if self.attention is None or not bool(self.attention_on):
            hidden, _ = self.lstm(self._inputs(x, mask))
            return {"pred": self.head(hidden), "hidden": hidden}
        m = self.modalities[0]
        v, keep = x[m], mask[m]
        # unbind once: indexing [:, t] every step would back-propagate a full-size zero tensor per step
        keys, values, keep_w = (t.unbind(1) for t in self.attention.windows(v, keep))
        h = v.new_zeros(v.shape[0], self.hidden_size)
        state, hidden, weights = None, [], []
        for t in range(v.shape[1]):
            context, w = self.attention.step(h, keys[t], values[t], keep_w[t])
            observed = keep_w[t].any(-1, keepdim=True).to(v.dtype)
            out, state = self.lstm(torch.cat([context, observed], dim=-1).unsqueeze(1), state)
            h = out[:, 0]
            hidden.append(h)
            weights.append(w)
        hidden_t = torch.stack(hidden, dim=1)
        return {"pred": self.head(hidden_t), "hidden": hidden_t, "embedding_attention": torch.stack(weights, dim=1)}

    def forward(self, x, mask):
        out = self.encode(x, mask)
        out.pop("hidden")
        return out


class DLSTMFusion(SequenceModel):
    def __init__(self, networks: dict[str, DLSTM], method: str, n_outputs: int, freeze: bool = True):
        super().__init__()
        self.networks = nn.ModuleDict(networks)
        self.method = method
        self.freeze = freeze
        self.fusion = make_fusion(method, [n.hidden_size for n in networks.values()], n_outputs)
        if freeze:
            for p in self.networks.parameters():
                p.requires_grad_(False)
        else:
            self.warmup_epochs = max(n.warmup_epochs for n in networks.values())

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze:  # frozen networks keep inference behaviour (no dropout)
            self.networks.eval()
        return self

    def on_epoch_start(self, epoch: int) -> None:
        if not self.freeze:  # frozen networks keep the schedule state they were selected in
            for n in self.networks.values():
                n.on_epoch_start(epoch)

    def forward(self, x, mask):
        encoded = [n.encode(x, mask) for n in self.networks.values()]
        present = torch.stack([n.present(mask) for n in self.networks.values()], dim=-1)
        pred, weights = self.fusion([e["hidden"] for e in encoded], [e["pred"] for e in encoded], present)
        out = {"pred": pred}
        if weights is not None:
            out["fusion_attention"] = weights
        return out


# ---- the configured models (config keys; defaults in the config schema), built for the sequence core's
# dispatcher (affectflow.models.sequence.run.BUILDERS)


def window_frames(seconds: float, hop_s: float) -> int:
    """An attention window given in seconds as a number of grid frames (at least 1)."""
    return max(1, round(seconds / hop_s))


def _dlstm(cfg: dict, modalities: list[str], input_dims: dict[str, int], n_outputs: int, hidden_size: int,
           embedding_attention: bool, hop_s: float) -> DLSTM:
    return DLSTM(modalities, input_dims, n_outputs, hidden_size=hidden_size, num_layers=cfg.get("num_layers", 2),
                 dropout=cfg.get("dropout", 0.2), embedding_attention=embedding_attention,
                 attention_window=window_frames(cfg.get("attention_window_s", 0.52), hop_s),
                 bypass_epochs=cfg.get("attention_bypass_epochs", 5))


def build_dlstm(name, models, input_dims, n_outputs, pretrained_checkpoints=None, hop_s: float = 0.1) -> DLSTM:
    """``dlstm``: ``modalities`` {name: [extractors]} (several = early fusion by concatenation), ``hidden_size``,
    ``num_layers``, ``dropout``, ``embedding_attention``, ``attention_window_s``, ``attention_bypass_epochs``;
    ``hop_s`` is the grid's hop, which turns the window's seconds into frames."""
    cfg = models[name]
    return _dlstm(cfg, list(cfg["modalities"]), input_dims, n_outputs, cfg.get("hidden_size", 64), cfg.get("embedding_attention", False),
                  hop_s)


def build_dlstm_av(name, models, input_dims, n_outputs, pretrained_checkpoints=None, hop_s: float = 0.1) -> DLSTMFusion:
    """``dlstm_av``: ``modalities`` {audio: […], video: […]}; one DLSTM per modality plus one on their
    concatenation (``early``), sizes from ``hidden_sizes``, embedding attention on the modalities in
    ``embedding_attention``, fused by ``method`` and trained end to end."""
    cfg = models[name]
    mods = list(cfg["modalities"])
    sizes = cfg.get("hidden_sizes", {})
    attend = set(cfg.get("embedding_attention", []))
    unknown = attend - set(mods)
    if unknown:
        raise ValueError(f"model '{name}': embedding_attention names {sorted(unknown)}, not among its modalities {mods}")
    nets = {m: _dlstm(cfg, [m], input_dims, n_outputs, sizes.get(m, 64), m in attend, hop_s) for m in mods}
    nets["early"] = _dlstm(cfg, mods, input_dims, n_outputs, sizes.get("early", 64), False, hop_s)
    return DLSTMFusion(nets, cfg.get("method", "attention"), n_outputs, freeze=False)


def build_dlstm_fusion(name, models, input_dims, n_outputs, pretrained_checkpoints=None, hop_s: float = 0.1) -> DLSTMFusion:
    """``dlstm_fusion``: ``pretrained`` [dlstm model names], ``method`` (attention | olb | hlb),
    ``pretrained_repeat``: the frozen networks are that repeat's checkpoints (``pretrained_checkpoints``,
    name → path), so every fusion repeat fuses the same networks (as in the paper)."""
    cfg = models[name]
    nets = {}
    for p in cfg["pretrained"]:
        if models[p]["kind"] != "dlstm":
            raise ValueError(f"model '{name}': pretrained network '{p}' is a '{models[p]['kind']}', not a dlstm")
        path = (pretrained_checkpoints or {}).get(p)
        if path is None:
            raise ValueError(f"model '{name}': no checkpoint given for pretrained network '{p}'")
        nets[p] = build_dlstm(p, models, input_dims, n_outputs, hop_s=hop_s)
        load_checkpoint(path, nets[p])
    return DLSTMFusion(nets, cfg.get("method", "attention"), n_outputs, freeze=True)


BUILDERS = {"dlstm": build_dlstm, "dlstm_fusion": build_dlstm_fusion, "dlstm_av": build_dlstm_av}
