"""What the synthetic speaker says and when: utterances, words, syllables.

The timeline is planned in integer milliseconds (so the transcript's
3-decimal timings are exact):

* utterances (interpausal units) of 1.5-6 s separated by 0.3-1.2 s pauses;
* each utterance is a run of words, each word 1-3 syllables long;
* syllable duration = 1 / rate, rate = 3 + 1.75 * (arousal + 1) syllables/s
  (3 -> 6.5 syl/s as arousal goes -1 -> +1), times a random factor 0.85-1.15;
  arousal is the label value at the syllable's start  [PLANTED: arousal];
* each word is drawn from the positive lexicon with p = 0.8 * max(0, v),
  from the negative lexicon with p = 0.8 * max(0, -v), otherwise from the
  neutral lexicon, v being the valence label at the word's start
  [PLANTED: valence].

The phonetic content of a word (vowel and onset consonant of each syllable)
is a fixed function of the word, so the same word always sounds alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import labels as _labels
from . import rng as _rng
from .lexicon import LEXICONS

VOWELS = ("a", "e", "i", "o", "u", "ae", "er")
ONSETS = ("", "s", "sh", "t", "f", "k")          # "" = voiced onset
_ONSET_P = (0.5, 0.12, 0.08, 0.12, 0.08, 0.10)

MIN_UTT_MS, MAX_UTT_MS = 1500, 6000
MIN_PAUSE_MS, MAX_PAUSE_MS = 300, 1200


def syllable_rate(arousal: float) -> float:
    """Planted speaking rate (syllables per second) for an arousal value."""
    return 3.0 + 1.75 * (float(arousal) + 1.0)


@dataclass(frozen=True)
class Syllable:
    start_ms: int
    end_ms: int
    vowel: str
    onset: str


@dataclass(frozen=True)
class Word:
    text: str
    lexicon: str
    syllables: tuple[Syllable, ...]

    @property
    def start_ms(self) -> int:
        return self.syllables[0].start_ms

    @property
    def end_ms(self) -> int:
        return self.syllables[-1].end_ms


@dataclass(frozen=True)
class Utterance:
    words: tuple[Word, ...]

    @property
    def start_ms(self) -> int:
        return self.words[0].start_ms

    @property
    def end_ms(self) -> int:
        return self.words[-1].end_ms

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def _phonetics(word: str, n_syl: int) -> list[tuple[str, str]]:
    g = _rng.word_stream(word)
    vowels = g.choice(len(VOWELS), n_syl)
    onsets = g.choice(len(ONSETS), n_syl, p=_ONSET_P)
    return [(VOWELS[v], ONSETS[o]) for v, o in zip(vowels, onsets)]


def _pick_word(gen: np.random.Generator, valence: float) -> tuple[str, str]:
    p_pos = 0.8 * max(0.0, valence)
    p_neg = 0.8 * max(0.0, -valence)
    u = gen.random()
    lex = "positive" if u < p_pos else "negative" if u < p_pos + p_neg else "neutral"
    words = list(LEXICONS[lex])
    return words[int(gen.integers(len(words)))], lex


def plan_script(gen: np.random.Generator, t: np.ndarray, arousal: np.ndarray,
                valence: np.ndarray, duration_s: float) -> list[Utterance]:
    """Plan utterances for a session whose labels are (t, arousal, valence)."""
    end_limit = int(round(duration_s * 1000)) - 200
    cur = int(gen.integers(300, 801))
    utterances: list[Utterance] = []
    # an utterance is only started if it can surely reach MIN_UTT_MS
    while cur + MIN_UTT_MS + 1200 <= end_limit:
        target = int(gen.integers(MIN_UTT_MS, MAX_UTT_MS + 1))
        start = cur
        words: list[Word] = []
        while True:
            v = float(_labels.at(cur / 1000.0, t, valence))
            text, lex = _pick_word(gen, v)
            sylls = []
            s = cur
            for vowel, onset in _phonetics(text, LEXICONS[lex][text]):
                a = float(_labels.at(s / 1000.0, t, arousal))
                d = int(round(1000.0 / syllable_rate(a) * gen.uniform(0.85, 1.15)))
                sylls.append(Syllable(s, s + d, vowel, onset))
                s += d
            if s - start > MAX_UTT_MS or s > end_limit:
                break
            words.append(Word(text, lex, tuple(sylls)))
            cur = s
            if cur - start >= target:
                break
        if not words:
            break
        utterances.append(Utterance(tuple(words)))
        cur += int(gen.integers(MIN_PAUSE_MS, MAX_PAUSE_MS + 1))
    return utterances


def transcript(session: str, utterances: list[Utterance]) -> dict:
    """The ``{session}.words.json`` document."""
    return {
        "session": session,
        "language": "en",
        "words": [{"word": w.text, "start": w.start_ms / 1000.0, "end": w.end_ms / 1000.0}
                  for u in utterances for w in u.words],
        "utterances": [{"start": u.start_ms / 1000.0, "end": u.end_ms / 1000.0, "text": u.text}
                       for u in utterances],
    }
