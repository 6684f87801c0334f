"""Words and utterances on the session time grid.

Each grid frame ``[t, t+hop)`` is given a *text context*, read at the frame's text time
``τ = centre − delay_s`` (``delay_s > 0`` lets the text lag behind the frame, as the
0.5 s delay Tzirakis et al. apply to their text features for the raters' reaction time):

- ``context="utterance"`` — the utterance (interpausal unit or turn) running at ``τ``;
- ``context="window"`` — the words overlapping the trailing window ``(τ − window_s, τ]``,
  so a frame carries what was just said, not the rest of its sentence;
- ``context="word"`` — the last word started at or before ``τ`` within the running utterance
  (word-level features per frame, as the XLNet word embeddings of Tzirakis et al.).

``speech`` says whether an utterance runs at ``τ``. Frames without speech have no context
(``-1``) and their features stay NaN, never zero; ``during_pauses="hold"`` lets window
contexts carry through pauses shorter than the window (raters' impressions persist).
Frames whose context holds no word get no context either.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import grid
from .transcripts import Transcript

CONTEXTS = ("utterance", "window", "word")


@dataclass(frozen=True)
class FrameContexts:
    """Per grid frame: ``speech`` (bool) and ``context`` (index into ``texts``, -1 for none)."""

    t_start: np.ndarray
    t_end: np.ndarray
    speech: np.ndarray
    context: np.ndarray
    texts: list[str]


def frame_contexts(transcript: Transcript, duration_s: float, hop_s: float, context: str = "utterance",
                   window_s: float = 3.0, delay_s: float = 0.0, during_pauses: str = "nan") -> FrameContexts:
    if context not in CONTEXTS:
        raise ValueError(f"unknown text context '{context}'; use one of {CONTEXTS}")
    if during_pauses not in ("nan", "hold"):
        raise ValueError(f"during_pauses must be 'nan' or 'hold', got '{during_pauses}'")
    t0, t1 = grid.frame_times(duration_s, hop_s)
    tau = (t0 + t1) / 2 - delay_s
    utts = transcript.utterances
    u_start = np.array([u.start for u in utts])
    u_end = np.array([u.end for u in utts])
    # the utterance running at τ (the latest-starting one if turns overlap)
    running = np.full(len(tau), -1, dtype=np.int64)
    if utts:
        order = np.argsort(u_start, kind="stable")
        pos = np.searchsorted(u_start[order], tau, side="right") - 1
        cand = np.where(pos >= 0, order[np.clip(pos, 0, None)], -1)
        inside = (cand >= 0) & (tau < u_end[np.clip(cand, 0, None)])
        running = np.where(inside, cand, -1)
    speech = running >= 0

    keys: list[tuple] = []
    if context == "utterance":
        keys = [(int(u),) if u >= 0 and utts[u].words else None for u in running]
        texts_of = {(i,): utts[i].text for i in range(len(utts))}
    else:
        words = transcript.words
        w_start = np.array([w.start for w in words])
        w_end = np.array([w.end for w in words])
        texts_of = {}
        for i, t in enumerate(tau):
            if context == "word":
                if not speech[i]:
                    keys.append(None)
                    continue
                u = utts[running[i]]
                started = [w for w in u.words if w.start <= t]
                key = (float(started[-1].start), started[-1].text) if started else None
                if key is not None:
                    texts_of[key] = started[-1].text
                keys.append(key)
                continue
            if not speech[i] and during_pauses == "nan":
                keys.append(None)
                continue
            hit = np.flatnonzero((w_start <= t) & (w_end > t - window_s))
            key = tuple(int(j) for j in hit) if len(hit) else None
            if key is not None and key not in texts_of:
                texts_of[key] = " ".join(words[j].text for j in hit)
            keys.append(key)

    uniq: dict[tuple, int] = {}
    ctx = np.full(len(tau), -1, dtype=np.int64)
    for i, key in enumerate(keys):
        if key is not None:
            ctx[i] = uniq.setdefault(key, len(uniq))
    texts = [texts_of[k] for k in uniq]
    return FrameContexts(t0, t1, speech, ctx, texts)
