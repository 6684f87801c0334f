"""Speech-like audio for a planned script (source-filter formant synthesis).

Voiced syllables: a glottal pulse train (per-period jitter and shimmer,
spectral tilt from a glottal low-pass + lip-radiation differentiator, a
little breath noise) through a cascade of three formant resonators chosen
per vowel and scaled per speaker, shaped by an attack/decay envelope.
Consonant onsets are band-passed noise bursts (fricatives s/sh/f, stops t/k).
Pauses contain only low background noise (about -60 dBFS).

PLANTED (arousal a = label value at that moment):
  F0    = speaker.f0_hz * 2 ** (0.5 * a)  (times small intonation terms:
          per-utterance offset ~N(0, 0.4 st), +-0.8 st declination, +-0.5 st
          syllable accents)
  level = LEVEL_DB + 10 * a  dBFS RMS per syllable (+-10 dB)
  rate  = see ``script.syllable_rate`` (3 -> 6.5 syllables/s)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

from . import labels as _labels
from .script import Utterance
from .speakers import Speaker

LEVEL_DB = -26.0          # vowel RMS level (dBFS) at arousal 0
LEVEL_DB_PER_AROUSAL = 10.0
NOISE_DB = -60.0          # background noise RMS (dBFS)

# (F1, F2, F3) in Hz for an adult male vocal tract
FORMANTS = {
    "a": (730, 1090, 2440), "e": (530, 1840, 2480), "i": (270, 2290, 3010),
    "o": (570, 840, 2410), "u": (300, 870, 2240), "ae": (660, 1720, 2410),
    "er": (490, 1350, 1690),
}
BANDWIDTHS = (80.0, 100.0, 150.0)

# onset -> (low Hz, high Hz, level dB relative to the vowel, fixed length s or None)
_CONSONANTS = {
    "s": (4000.0, 7000.0, -10.0, None),
    "sh": (2000.0, 4500.0, -10.0, None),
    "f": (1500.0, 7000.0, -16.0, None),
    "t": (2500.0, 6000.0, -6.0, 0.025),
    "k": (1500.0, 3500.0, -6.0, 0.030),
}


def f0_for(speaker: Speaker, arousal) -> np.ndarray:
    """Planted F0 (Hz) before intonation terms."""
    return speaker.f0_hz * 2.0 ** (0.5 * np.asarray(arousal, dtype=float))


def level_db_for(arousal) -> np.ndarray:
    """Planted syllable level (dBFS RMS)."""
    return LEVEL_DB + LEVEL_DB_PER_AROUSAL * np.asarray(arousal, dtype=float)


@lru_cache(maxsize=64)
def _bandpass(lo: float, hi: float, sr: int):
    nyq = 0.5 * sr
    hi = min(hi, 0.9 * nyq)
    lo = min(lo, 0.5 * hi)
    return butter(2, [lo, hi], btype="band", fs=sr, output="sos")


def _resonate(x: np.ndarray, freq: float, bw: float, sr: int) -> np.ndarray:
    """Klatt-style 2-pole resonator with unity gain at DC."""
    freq = min(freq, 0.45 * sr)
    r = np.exp(-np.pi * bw / sr)
    b1 = 2.0 * r * np.cos(2.0 * np.pi * freq / sr)
    b2 = -r * r
    return lfilter([1.0 - b1 - b2], [1.0, -b1, -b2], x)


def _envelope(m: int, attack: int, decay: int) -> np.ndarray:
    env = np.ones(m)
    attack = max(1, min(attack, m // 3))
    decay = max(1, min(decay, m // 2))
    env[:attack] = 0.5 - 0.5 * np.cos(np.pi * np.arange(attack) / attack)
    env[m - decay:] = 0.5 + 0.5 * np.cos(np.pi * (np.arange(decay) + 1) / decay)
    return env


def _rms_normalise(x: np.ndarray) -> np.ndarray:
    return x / (np.sqrt(np.mean(x * x)) + 1e-12)


def _vowel(gen, m: int, sr: int, f0: np.ndarray, vowel: str,
           speaker: Speaker) -> np.ndarray:
    phase = gen.random() + np.cumsum(f0) / sr
    idx = np.flatnonzero(np.diff(np.floor(phase))) + 1
    exc = np.zeros(m)
    if idx.size:
        period = sr / f0[idx]
        pos = np.clip(np.round(idx + gen.normal(0.0, 0.01, idx.size) * period), 0, m - 1).astype(int)
        np.add.at(exc, pos, 1.0 + gen.normal(0.0, 0.05, idx.size))
    # glottal tilt (double pole) + lip radiation (differentiator)
    src = lfilter([1.0, -1.0], [1.0, -1.92, 0.9216], exc)
    src = _rms_normalise(src) + 0.03 * gen.standard_normal(m)
    y = src
    for fq, bw in zip(FORMANTS[vowel], BANDWIDTHS):
        y = _resonate(y, fq * speaker.formant_scale, bw, sr)
    return _rms_normalise(y)


def render_voice(gen: np.random.Generator, utterances: list[Utterance], t: np.ndarray,
                 arousal: np.ndarray, speaker: Speaker, sample_rate: int,
                 n_samples: int) -> np.ndarray:
    """Mono float32 waveform in [-1, 1] for the planned utterances."""
    sr = int(sample_rate)
    out = gen.standard_normal(n_samples) * 10.0 ** (NOISE_DB / 20.0)
    for utt in utterances:
        u0, u1 = utt.start_ms / 1000.0, utt.end_ms / 1000.0
        utt_st = gen.normal(0.0, 0.4)
        for word in utt.words:
            for syl in word.syllables:
                s0 = syl.start_ms * sr // 1000
                s1 = min(syl.end_ms * sr // 1000, n_samples)
                if s1 - s0 < 8:
                    continue
                a0 = float(_labels.at(syl.start_ms / 1000.0, t, arousal))
                gain = 10.0 ** (float(level_db_for(a0)) / 20.0)
                v0 = s0
                if syl.onset:
                    lo, hi, rel_db, fixed = _CONSONANTS[syl.onset]
                    mb = int(sr * (fixed if fixed else min(0.3 * (s1 - s0) / sr, 0.1)))
                    mb = max(8, min(mb, (s1 - s0) // 2))
                    burst = _rms_normalise(sosfilt(_bandpass(lo, hi, sr), gen.standard_normal(mb)))
                    burst *= _envelope(mb, int(0.003 * sr), mb // 2)
                    out[s0:s0 + mb] += burst * gain * 10.0 ** (rel_db / 20.0)
                    v0 = s0 + int(0.8 * mb)
                m = s1 - v0
                tt = (v0 + np.arange(m)) / sr
                a_t = _labels.at(tt, t, arousal)
                decl = 0.8 - 1.6 * (tt - u0) / max(u1 - u0, 1e-3)
                st = utt_st + decl + gen.uniform(-0.5, 0.5)
                f0 = f0_for(speaker, a_t) * 2.0 ** (st / 12.0)
                y = _vowel(gen, m, sr, f0, syl.vowel, speaker)
                y *= _envelope(m, int(0.02 * sr), int(0.05 * sr))
                out[v0:s1] += y * gain
    return np.clip(out, -1.0, 1.0).astype(np.float32)
