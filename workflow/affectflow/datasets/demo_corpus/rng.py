"""Named, independent random streams derived from (seed, index).

Every random decision of the demo corpus comes from one of these streams so
that a session is a pure function of (seed, index, generation parameters)
and changing, e.g., the face code never perturbs the labels or the audio.
"""

from __future__ import annotations

import zlib

import numpy as np

_STREAMS = {
    "arousal": 1,
    "valence": 2,
    "script": 3,
    "voice": 4,
    "face": 5,
}


def stream(seed: int, index: int, name: str) -> np.random.Generator:
    """Independent PCG64 generator for one purpose of one session."""
    if seed < 0 or index < 0:
        raise ValueError("seed and index must be non-negative")
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([int(seed), int(index), _STREAMS[name]]))
    )


def word_stream(word: str) -> np.random.Generator:
    """Generator keyed by a word only: the same word always sounds the same."""
    return np.random.Generator(np.random.PCG64(zlib.crc32(word.encode("utf-8"))))
