"""Word lists used to plant valence in the demo transcripts.

Three lexicons of 30 common English words each, with their syllable
counts (the synthetic voice speaks exactly that many syllables per word).
The positive and negative words were chosen so that standard lexicon-based
sentiment tools score them clearly: every positive word has a VADER
(vaderSentiment 3.3.2) valence >= +1.8, every negative word <= -1.6, and
no neutral word appears in the VADER lexicon at all.
"""

from __future__ import annotations

# word -> number of syllables
POSITIVE: dict[str, int] = {
    "happy": 2, "great": 1, "love": 1, "wonderful": 3, "good": 1,
    "excellent": 3, "beautiful": 3, "amazing": 3, "nice": 1, "joy": 1,
    "fantastic": 3, "awesome": 2, "glad": 1, "brilliant": 2, "perfect": 2,
    "lovely": 2, "delightful": 3, "superb": 2, "fun": 1, "laugh": 1,
    "best": 1, "win": 1, "kind": 1, "enjoy": 2, "pleasant": 2,
    "cheerful": 2, "proud": 1, "free": 1, "friendly": 2, "success": 2,
}

NEGATIVE: dict[str, int] = {
    "sad": 1, "awful": 2, "hate": 1, "terrible": 3, "horrible": 3,
    "bad": 1, "angry": 2, "ugly": 2, "worst": 1, "pain": 1,
    "cry": 1, "fear": 1, "hurt": 1, "sorrow": 2, "disgusting": 3,
    "nasty": 2, "poor": 1, "sick": 1, "upset": 2, "fail": 1,
    "lose": 1, "tragic": 2, "stupid": 2, "annoying": 3, "evil": 2,
    "dreadful": 2, "broken": 2, "hopeless": 2, "disaster": 3, "grief": 1,
}

NEUTRAL: dict[str, int] = {
    "table": 2, "street": 1, "paper": 2, "window": 2, "chair": 1,
    "door": 1, "house": 1, "car": 1, "water": 2, "book": 1,
    "river": 2, "morning": 2, "garden": 2, "kitchen": 2, "city": 2,
    "letter": 2, "minute": 2, "corner": 2, "pencil": 2, "yellow": 2,
    "telephone": 3, "market": 2, "station": 2, "bottle": 2, "umbrella": 3,
    "train": 1, "floor": 1, "computer": 3, "banana": 3, "road": 1,
}

LEXICONS: dict[str, dict[str, int]] = {
    "positive": POSITIVE,
    "negative": NEGATIVE,
    "neutral": NEUTRAL,
}


def polarity_of(word: str) -> str:
    """Return "positive", "negative" or "neutral" for a demo word."""
    w = word.lower()
    if w in POSITIVE:
        return "positive"
    if w in NEGATIVE:
        return "negative"
    return "neutral"


def syllables_of(word: str) -> int:
    """Number of syllables the synthetic voice uses for a demo word."""
    for lex in LEXICONS.values():
        if word in lex:
            return lex[word]
    raise KeyError(word)
