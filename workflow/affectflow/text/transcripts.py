"""Session transcripts: timed words and utterances (interpausal units / turns).

One in-memory form, :class:`Transcript`, read from the formats corpora ship:

- ``.json`` — ``{"session", "language", "words": [{"word", "start", "end"}],
  "utterances": [{"start", "end", "text"}]}`` (the demo corpus and the ASR rule write this);
  either list may be missing: words alone are grouped into interpausal units at pauses longer
  than ``pause_s``, utterances alone get interpolated word times.
- ``.csv`` / ``.tsv`` / ``.txt`` with a time column — SEWA/AVEC-style turn files
  (``start;end;text``, with or without a header, any of ``; , TAB``) or word files (a ``word``
  column). Times in seconds or ``HH:MM:SS[.,]mmm``.
- ``.srt`` / ``.vtt`` subtitles — one utterance per cue.
- ``.txt`` without times — the whole text is one utterance over the session (needs its duration).

Word times inside a turn that has none are spread over the turn in proportion to the words'
lengths; ``word_times`` then says ``"interpolated"`` and the provenance keeps it.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.textfiles import read_utf8

PAUSE_S = 0.3  # a silence longer than this between words ends an interpausal unit


class TranscriptError(ValueError):
    """A transcript that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Utterance:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass
class Transcript:
    utterances: list[Utterance]
    language: str = ""
    word_times: str = "given"  # "given" or "interpolated"
    source: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def words(self) -> list[Word]:
        return [w for u in self.utterances for w in u.words]

    @property
    def end(self) -> float:
        return max((u.end for u in self.utterances), default=0.0)

    def to_json(self, session: str = "") -> dict:
        """The ``words.json`` document (the format the demo corpus and the ASR rule write)."""
        return {
            "session": session,
            "language": self.language,
            "word_times": self.word_times,
            "words": [{"word": w.text, "start": round(w.start, 3), "end": round(w.end, 3)} for w in self.words],
            "utterances": [{"start": round(u.start, 3), "end": round(u.end, 3), "text": u.text} for u in self.utterances],
            **({"meta": self.meta} if self.meta else {}),
        }


def from_words(words: list[Word], language: str = "", pause_s: float = PAUSE_S, source: str = "") -> Transcript:
    """Group timed words into interpausal units."""
    words = sorted(words, key=lambda w: w.start)
    groups: list[list[Word]] = []
    for w in words:
        if groups and w.start - groups[-1][-1].end <= pause_s:
            groups[-1].append(w)
        else:
            groups.append([w])
    utts = [Utterance(g[0].start, max(x.end for x in g), " ".join(x.text for x in g), tuple(g)) for g in groups]
    return Transcript(utts, language=language, source=source)


def spread_words(start: float, end: float, text: str) -> tuple[Word, ...]:
    """Word times for a turn that has none: each word gets a share of the turn ∝ its length."""
    tokens = text.split()
    if not tokens:
        return ()
    weights = [len(t) + 1 for t in tokens]
    total, t0, out = sum(weights), start, []
    for tok, w in zip(tokens, weights):
        t1 = t0 + (end - start) * w / total
        out.append(Word(tok, t0, t1))
        t0 = t1
    return tuple(out)


def from_turns(turns: list[tuple[float, float, str]], language: str = "", source: str = "") -> Transcript:
    utts = [Utterance(s, e, t.strip(), spread_words(s, e, t)) for s, e, t in sorted(turns) if t.strip()]
    return Transcript(utts, language=language, word_times="interpolated", source=source)


def attach_words(utterances: list[tuple[float, float, str]], words: list[Word], language: str, source: str) -> Transcript:
    """Utterances with their timed words (a word belongs to the utterance holding its midpoint)."""
    utts = []
    for s, e, text in sorted(utterances):
        inside = tuple(w for w in words if s <= (w.start + w.end) / 2 <= e)
        utts.append(Utterance(s, e, text, inside or spread_words(s, e, text)))
    return Transcript(utts, language=language, source=source)


_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d+))?$")


def parse_time(value, where: str) -> float:
    """Seconds from ``12.5`` or ``00:01:02,500`` / ``01:02.5``."""
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    m = _CLOCK.match(text)
    if not m:
        raise TranscriptError(f"{where}: cannot read time '{text}' (seconds or HH:MM:SS,mmm)")
    h, mi, s, frac = m.groups()
    return int(h or 0) * 3600 + int(mi) * 60 + int(s) + (float(f"0.{frac}") if frac else 0.0)


START_NAMES = ("start", "start_time", "starttime", "begin", "onset", "from", "t_start")
END_NAMES = ("end", "end_time", "endtime", "stop", "offset", "to", "t_end")
TEXT_NAMES = ("text", "transcript", "transcription", "utterance", "sentence", "content")


def _read_json(path: Path, pause_s: float) -> Transcript:
    try:
        doc = json.loads(read_utf8(path))
    except json.JSONDecodeError as exc:
        raise TranscriptError(f"{path}: not a readable JSON transcript ({exc})") from exc
    if not isinstance(doc, dict) or not ({"words", "utterances"} & set(doc)):
        raise TranscriptError(f"{path}: JSON transcript needs a 'words' and/or 'utterances' list")
    language = doc.get("language", "") or ""
    try:
        words = [Word(str(w["word"]).strip(), float(w["start"]), float(w["end"])) for w in doc.get("words", [])]
        utts = [(float(u["start"]), float(u["end"]), str(u["text"])) for u in doc.get("utterances", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise TranscriptError(f"{path}: words need word/start/end and utterances start/end/text ({exc!r})") from exc
    if utts:
        tr = attach_words(utts, words, language, str(path))
        if not words:
            tr.word_times = "interpolated"
        else:
            tr.word_times = doc.get("word_times", "given")
        return tr
    return from_words(words, language, pause_s, str(path))


def _read_table(path: Path, text: str, pause_s: float) -> Transcript:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
        delim = dialect.delimiter
    except csv.Error:
        delim = "\t" if "\t" in text else ";" if ";" in text else ","
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delim) if any(c.strip() for c in r)]
    if not rows:
        return Transcript([], source=str(path))
    header = [c.strip().lower() for c in rows[0]]

    def col(names):
        return next((header.index(n) for n in names if n in header), None)

    i_s, i_e = col(START_NAMES), col(END_NAMES)
    i_w, i_t = col(("word", "token")), col(TEXT_NAMES)
    if i_s is not None and i_e is not None and (i_w is not None or i_t is not None):
        body = rows[1:]
    else:  # headerless start;end;text
        i_s, i_e, i_t, i_w, body = 0, 1, 2, None, rows
    headerless = body is rows
    i_txt = i_w if i_w is not None else i_t
    # a text column last in the row may hold the delimiter itself (csv splits it): glue it back
    text_is_last = i_w is None and (headerless or i_t == len(header) - 1)
    out = []
    for n, r in enumerate(body, start=1 if headerless else 2):
        where = f"{path}, line {n}"
        if len(r) <= max(i_s, i_e, i_txt):
            raise TranscriptError(f"{where}: expected start, end and text columns, got {r}")
        s, e = parse_time(r[i_s], where), parse_time(r[i_e], where)
        if e < s:
            raise TranscriptError(f"{where}: end {e} is before start {s}")
        out.append((s, e, delim.join(r[i_txt:]) if text_is_last else r[i_txt]))
    if i_w is not None:
        return from_words([Word(t.strip(), s, e) for s, e, t in out if t.strip()], pause_s=pause_s, source=str(path))
    return from_turns(out, source=str(path))


_CUE = re.compile(r"(?P<s>[\d:.,]+)\s*-->\s*(?P<e>[\d:.,]+)[^\n]*\n(?P<text>.*?)(?:\n\s*\n|\Z)", re.S)


def _read_subtitles(path: Path, text: str) -> Transcript:
    turns = []
    for m in _CUE.finditer(text.replace("\r\n", "\n")):
        body = re.sub(r"<[^>]+>", "", m.group("text")).replace("\n", " ")
        turns.append((parse_time(m.group("s"), str(path)), parse_time(m.group("e"), str(path)), body))
    if not turns and text.strip():
        raise TranscriptError(f"{path}: no subtitle cues ('start --> end' lines) found")
    return from_turns(turns, source=str(path))


def read(path: str | Path, duration_s: float | None = None, pause_s: float = PAUSE_S) -> Transcript:
    """Read a session transcript in any of the supported formats (see the module doc)."""
    path = Path(path)
    if not path.exists():
        raise TranscriptError(f"{path}: transcript file not found")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _read_json(path, pause_s)
    text = read_utf8(path)  # a non-UTF-8 file is an error naming the byte and line, never replaced
    if suffix in (".srt", ".vtt"):
        return _read_subtitles(path, text)
    if suffix in (".csv", ".tsv") or (suffix == ".txt" and _looks_timed(text)):
        return _read_table(path, text, pause_s)
    if suffix == ".txt":
        body = " ".join(text.split())
        if not body:
            return Transcript([], source=str(path))
        if duration_s is None:
            raise TranscriptError(f"{path}: an untimed text transcript needs the session duration (no media to probe)")
        return from_turns([(0.0, float(duration_s), body)], source=str(path))
    raise TranscriptError(f"{path}: unknown transcript format '{suffix}' (json, csv, tsv, txt, srt, vtt)")


def _looks_timed(text: str) -> bool:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    return bool(re.match(r"^\s*[\d:.,]+\s*[;,\t]\s*[\d:.,]+\s*[;,\t]", first)) or bool(
        re.match(r"^\s*(start|begin)\w*\s*[;,\t]", first, re.I))


def write_json(transcript: Transcript, path: str | Path, session: str = "") -> Path:
    from ..core.store import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(transcript.to_json(session), ensure_ascii=False, indent=1))
    return Path(path)
