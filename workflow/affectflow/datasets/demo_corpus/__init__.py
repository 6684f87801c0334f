"""SYNTHETIC demo corpus for affectflow (no real recordings, no real people's data).

Sessions are generated deterministically from (seed, index) using assets
shipped inside installed packages (the ``skimage.data.astronaut()`` photo),
so the project can run every stage end to end offline.  Planted signals:
arousal drives the synthetic voice (F0, level, speaking rate), valence drives
word choice in the transcript, and the face carries weaker, noisy cues of
both (head motion ~ arousal, mouth-corner smile/frown ~ valence).
See :mod:`affectflow.datasets.demo_corpus.synth` for details.
"""

from .lexicon import LEXICONS, NEGATIVE, NEUTRAL, POSITIVE, polarity_of
from .sessions import demo_sessions


def __getattr__(name):
    # the generator (scipy, PyAV, the face rig) loads only when used: every DAG build imports this package
    # for demo_sessions, and importing the generator cost ~1.8 s of each
    if name == "generate_session":
        from .synth import generate_session

        return generate_session
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["generate_session", "demo_sessions", "LEXICONS", "POSITIVE", "NEGATIVE",
           "NEUTRAL", "polarity_of"]
