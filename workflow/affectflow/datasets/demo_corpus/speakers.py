"""The demo corpus' synthetic speakers (speaker = session index // 2).

A speaker fixes the voice (base F0, formant scaling) and the look (which
variant of the ``skimage.data.astronaut()`` photo is shown: horizontal flip,
per-channel colour gain, brightness offset and zoom).  Speakers 1-4 are
listed explicitly; higher speaker numbers (only needed for corpora with more
than 8 sessions) reuse the four designs with a shifted F0 and colour.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Speaker:
    index: int                      # 0-based speaker number
    f0_hz: float                    # F0 at arousal 0
    formant_scale: float            # vocal-tract length factor (1 = adult male)
    flip: bool                      # horizontally mirrored photo
    rgb_gain: tuple[float, float, float]
    brightness: float               # added to 0..255 pixel values
    zoom: float                     # >1 shows the face larger

    @property
    def name(self) -> str:
        return f"spk{self.index + 1}"


_BASE = (
    Speaker(0, 110.0, 1.00, False, (1.00, 1.00, 1.00), 0.0, 1.00),
    Speaker(1, 130.0, 1.04, True, (1.06, 0.99, 0.90), 10.0, 1.06),
    Speaker(2, 190.0, 1.12, False, (0.92, 1.00, 1.08), -10.0, 0.94),
    Speaker(3, 220.0, 1.17, True, (1.00, 1.05, 0.94), 5.0, 1.03),
)


def speaker_for_index(index: int) -> Speaker:
    """Speaker of session ``index`` (0-based)."""
    return speaker(index // 2)


def speaker(k: int) -> Speaker:
    if k < 0:
        raise ValueError("speaker index must be non-negative")
    base = _BASE[k % 4]
    cycle = k // 4
    if cycle == 0:
        return base
    shift = 2.0 ** ((1.5 * cycle) / 12.0)           # +1.5 semitones per cycle
    tint = 0.03 * ((cycle % 3) - 1)
    g = base.rgb_gain
    return replace(base, index=k, f0_hz=base.f0_hz * shift,
                   rgb_gain=(g[0] + tint, g[1], g[2] - tint),
                   brightness=base.brightness + 4.0 * ((cycle % 2) * 2 - 1),
                   zoom=base.zoom * (1.0 + 0.02 * ((cycle % 2) * 2 - 1)))
