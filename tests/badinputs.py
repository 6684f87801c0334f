"""The bad-input corpus: every file is generated here, in the test's temporary folder (no binaries
are committed), and ``CASES`` says what each consumer must do with it.

To cover a new consumer (an extractor landing from another branch), write a function
``consume(path) -> object`` in the test module and add an entry under its name to the ``expect``
of each case it reads; to cover a new bad input, add a ``make_*`` function and a ``BadInput``.
docs/bad-input.md is the human-readable copy of this table.
"""
from __future__ import annotations

import fractions
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import av
import numpy as np
import soundfile as sf

SR = 16000
TONE_HZ = 220.0
SECONDS = 2.0


# ---------------------------------------------------------------- signals and well-formed files

def tone(seconds: float = SECONDS, sr: int = SR, amplitude: float = 0.5) -> np.ndarray:
    """A voiced-like test signal: a 220 Hz tone with two harmonics, amplitude-modulated."""
    t = np.arange(int(round(seconds * sr))) / sr
    x = np.sin(2 * np.pi * TONE_HZ * t) + 0.5 * np.sin(4 * np.pi * TONE_HZ * t) + 0.25 * np.sin(6 * np.pi * TONE_HZ * t)
    x *= 0.75 + 0.25 * np.sin(2 * np.pi * 3 * t)
    return (amplitude * x / np.abs(x).max()).astype(np.float64)


def write_wav(path: Path, signal: np.ndarray, sr: int = SR, subtype: str = "PCM_16") -> Path:
    sf.write(path, signal, sr, subtype=subtype)
    return path


def write_mp4(path: Path, seconds: float = SECONDS, fps: int = 10, video: bool = True, audio: bool = True,
              faststart: bool = False, frame_steps: list[int] | None = None, signal: np.ndarray | None = None) -> Path:
    """H.264 + AAC (mono, 16 kHz) MP4 written with PyAV.

    ``frame_steps`` (in units of 1/fps) spaces the frames unevenly: variable frame rate.
    ``faststart`` puts the index (moov) first, so a cut file still opens.
    """
    opts = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", format="mp4", options=opts) as out:
        if video:
            vs = out.add_stream("libx264", rate=fps, options={"threads": "1"})
            vs.width = vs.height = 64
            vs.pix_fmt = "yuv420p"
        if audio:
            aus = out.add_stream("aac", rate=SR)
            aus.layout = "mono"
        if video:
            pts, i = 0, 0
            while pts < seconds * fps:
                img = np.full((64, 64, 3), (i * 37) % 256, np.uint8)
                img[16:48, 16:48] = 255 - img[0, 0]
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts = pts
                frame.time_base = fractions.Fraction(1, fps)
                out.mux(vs.encode(frame))
                pts += frame_steps[i % len(frame_steps)] if frame_steps else 1
                i += 1
            out.mux(vs.encode(None))
        if audio:
            pcm = (signal if signal is not None else tone(seconds)).astype(np.float32)
            for k in range(0, len(pcm), 1024):
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm[None, k:k + 1024]), format="fltp", layout="mono")
                frame.sample_rate = SR
                frame.pts = k
                out.mux(aus.encode(frame))
            out.mux(aus.encode(None))
    return path


def truncate(path: Path, fraction: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def corrupt_middle(path: Path, n_bytes: int = 4000, seed: int = 0) -> Path:
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid:mid + n_bytes] = np.random.default_rng(seed).integers(0, 256, n_bytes, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path


def write_labels(path: Path, times, arousal, valence=None, sep: str = ";") -> Path:
    valence = arousal if valence is None else valence
    lines = [f"name{sep}timestamp{sep}arousal{sep}valence"]
    lines += [f"s{sep}{t:.2f}{sep}{a}{sep}{v}" for t, a, v in zip(times, arousal, valence)]
    path.write_text("\n".join(lines) + "\n")
    return path


def label_times(seconds: float, step: float = 0.1) -> np.ndarray:
    return np.round(np.arange(0.0, seconds + 1e-9, step), 2)


def ramp(n: int) -> list[float]:
    return list(np.round(np.linspace(-0.5, 0.5, n), 4))


# ---------------------------------------------------------------- the bad inputs

def make_zero_byte_wav(d: Path) -> Path:
    (p := d / "zero.wav").write_bytes(b"")
    return p


def make_zero_byte_mp4(d: Path) -> Path:
    (p := d / "zero.mp4").write_bytes(b"")
    return p


def make_truncated_wav(d: Path) -> Path:
    return truncate(write_wav(d / "truncated.wav", tone()))


def make_header_only_wav(d: Path) -> Path:
    p = write_wav(d / "header_only.wav", tone())
    p.write_bytes(p.read_bytes()[:44])
    return p


def make_truncated_mp4(d: Path) -> Path:
    return truncate(write_mp4(d / "truncated.mp4"))


def make_truncated_faststart_mp4(d: Path) -> Path:
    return truncate(write_mp4(d / "truncated_faststart.mp4", faststart=True))


def make_truncated_video(d: Path) -> Path:
    # 15.7 s at 10 fps (157 frames declared), index first, cut at 70 %: FFmpeg decodes the first
    # 109 frames and stops without an error
    return truncate(write_mp4(d / "truncated_video.mp4", seconds=15.7, faststart=True), 0.7)


def make_corrupt_middle_mp4(d: Path) -> Path:
    return corrupt_middle(write_mp4(d / "corrupt_middle.mp4"))


def make_corrupt_middle_wav(d: Path) -> Path:
    return corrupt_middle(write_wav(d / "corrupt_middle.wav", tone()), n_bytes=2000)


def make_video_without_audio(d: Path) -> Path:
    return write_mp4(d / "video_only.mp4", audio=False)


def make_audio_without_video(d: Path) -> Path:
    return write_mp4(d / "audio_only.mp4", video=False)


def make_variable_frame_rate(d: Path) -> Path:
    # at 40 fps: five frames 25 ms apart, then frames 100 ms apart, repeating
    return write_mp4(d / "vfr.mp4", fps=40, frame_steps=[1, 1, 1, 1, 1, 4, 4, 4, 4, 4], audio=True)


def make_wav_8bit(d: Path) -> Path:
    return write_wav(d / "u8.wav", tone(), subtype="PCM_U8")


def make_wav_24bit(d: Path) -> Path:
    return write_wav(d / "s24.wav", tone(), subtype="PCM_24")


def make_wav_stereo(d: Path) -> Path:
    # left = the tone, right = silence: a correct mono mix is half the tone (FFmpeg's own downmix gives 0.707×)
    x = tone()
    return write_wav(d / "stereo.wav", np.stack([x, np.zeros_like(x)], axis=1))


def make_shorter_than_a_frame(d: Path) -> Path:
    return write_wav(d / "shorter_than_a_frame.wav", tone(0.05))


def make_shorter_than_a_window(d: Path) -> Path:
    return write_wav(d / "shorter_than_a_window.wav", tone(1.5))


def make_long_silence(d: Path) -> Path:
    # 0.5 s tone, 8 s of near-silence (−80 dBFS noise), 0.5 s tone
    noise = np.random.default_rng(0).normal(0, 10 ** (-80 / 20), int(8 * SR))
    return write_wav(d / "long_silence.wav", np.concatenate([tone(0.5), noise, tone(0.5)]))


def make_non_utf8_transcript(d: Path) -> Path:
    (p := d / "latin1.txt").write_bytes("ça va très bien\n".encode("latin-1"))
    return p


def make_empty_transcript(d: Path) -> Path:
    (p := d / "empty.txt").write_bytes(b"")
    return p


def make_labels_with_nan(d: Path) -> Path:
    t = label_times(SECONDS)
    a = ramp(len(t))
    a[5] = a[6] = "nan"
    return write_labels(d / "labels_nan.csv", t, a)


def make_labels_with_gap(d: Path) -> Path:
    t = label_times(SECONDS)
    keep = (t < 0.5) | (t > 1.2)  # no annotation between 0.5 and 1.2 s
    return write_labels(d / "labels_gap.csv", t[keep], ramp(len(t))[: keep.sum()])


def make_labels_unsorted(d: Path) -> Path:
    t = label_times(SECONDS)
    t[[3, 4]] = t[[4, 3]]
    return write_labels(d / "labels_unsorted.csv", t, ramp(len(t)))


def make_labels_duplicated(d: Path) -> Path:
    t = label_times(SECONDS)
    t[4] = t[3]
    return write_labels(d / "labels_duplicated.csv", t, ramp(len(t)))


def make_labels_shorter(d: Path) -> Path:
    t = label_times(SECONDS / 2)  # labels for the first half of a 2 s clip
    return write_labels(d / "labels_shorter.csv", t, ramp(len(t)))


def make_labels_longer(d: Path) -> Path:
    t = label_times(SECONDS * 3)  # labels for 6 s on a 2 s clip
    return write_labels(d / "labels_longer.csv", t, ramp(len(t)))


def make_labels_header_only(d: Path) -> Path:
    (p := d / "labels_header_only.csv").write_text("name;timestamp;arousal;valence\n")
    return p


# ---------------------------------------------------------------- expectations

@dataclass(frozen=True)
class Raises:
    """The consumer raises; the message names the file and matches ``pattern``."""
    pattern: str


@dataclass(frozen=True)
class Returns:
    """The consumer returns; ``verify(result, path)`` asserts what it must hold (flags, values)."""
    verify: Callable


@dataclass(frozen=True)
class BadInput:
    name: str
    make: Callable[[Path], Path]
    behaviour: str                       # the docs/bad-input.md table's wording
    expect: dict = field(default_factory=dict)  # consumer name → Raises | Returns


def check_outcome(consumer: Callable[[Path], object], path: Path, expected) -> object:
    """Run one consumer on one bad input and assert the documented outcome."""
    if isinstance(expected, Raises):
        try:
            result = consumer(path)
        except Exception as exc:  # noqa: BLE001 — whatever the consumer raises must name the file and the problem
            message = str(exc)
            assert path.name in message, f"error does not name the file {path.name}: {message}"
            assert re.search(expected.pattern, message), f"error does not say /{expected.pattern}/: {message}"
            return exc
        raise AssertionError(f"{path.name}: expected an error matching /{expected.pattern}/, got {result!r:.200}")
    result = consumer(path)
    expected.verify(result, path)
    return result


def reported(level: str, pattern: str) -> Returns:
    """For ``affectflow check``: the session's report has a ``level`` finding matching ``pattern`` that names the file."""
    def verify(report, path):
        hits = [msg for lvl, msg in report.problems if lvl == level and re.search(pattern, msg)]
        assert hits, f"{path.name}: expected a {level} matching /{pattern}/, got {report.problems}"
        assert any(path.name in m for m in hits), f"{level} does not name {path.name}: {hits}"
        if level == "warning":
            assert report.status == "warning", report.problems
    return Returns(verify)


def holds(predicate: Callable, what: str) -> Returns:
    def verify(result, path):
        assert predicate(result), f"{path.name}: expected {what}, got {result!r:.300}"
    return Returns(verify)


def _close_to_tone(scale: float, atol: float) -> Returns:
    def verify(audio, path):
        ref = scale * tone()
        assert audio.dtype == np.float32 and audio.shape == ref.shape, (audio.dtype, audio.shape)
        assert np.abs(audio - ref).max() < atol, np.abs(audio - ref).max()
    return Returns(verify)


def _corrupt_pcm_decodes(audio, path):
    # PCM has no checksum: changed samples are undetectable; the length and the rest are intact
    ref = tone().astype(np.float32)
    changed = np.flatnonzero(np.abs(audio - ref) > 1e-3)
    assert audio.shape == ref.shape and 0 < len(changed) <= 1000 and np.ptp(changed) < 1000


def _vfr_times(times, path):
    steps = np.round(np.diff(times) * 1000).astype(int)
    assert set(steps) == {25, 100} and times[0] == 0.0, steps


def _speech_flags_follow_the_silence(df, path):
    inside = (df["t_start"] >= 0.6) & (df["t_end"] <= 8.4)
    outside = (df["t_end"] <= 0.5) | (df["t_start"] >= 8.5)
    assert len(df) == 90 and df["speech"].dtype == bool and outside.sum() == 10
    # `speech` is silero-vad's verdict: the silent stretch is never speech (the test tones need not be)
    assert not df.loc[inside, "speech"].any()
    feats = df.drop(columns=["session", "t_start", "t_end", "speech"])
    assert np.isfinite(feats.to_numpy()).all()  # silence is measured, not NaN'd or dropped


def _one_window_over_the_clip(df, path):
    assert len(df) == 1 and (df["t_start"].iloc[0], df["t_end"].iloc[0]) == (0.0, 1.5) and df["speech"].dtype == bool
    assert np.isfinite(df.drop(columns=["session", "t_start", "t_end", "speech"]).to_numpy()).all()


def _valid_frames(expected_invalid: Callable[[np.ndarray], np.ndarray], n_frames: int = 20) -> Returns:
    def verify(grid, path):
        t = grid["t_start"].to_numpy()
        assert len(grid) == n_frames
        want_invalid = expected_invalid(t)
        assert (~grid["label_valid"].to_numpy() == want_invalid).all(), grid[["t_start", "label_valid"]].to_string()
        assert grid.loc[~grid["label_valid"], ["arousal", "valence"]].isna().all().all()  # never zero-filled
        assert grid.loc[grid["label_valid"], ["arousal", "valence"]].notna().all().all()
    return Returns(verify)


def _opensmile_like_16bit(df, path):
    assert len(df) == 20 and df["speech"].dtype == bool
    assert np.isfinite(df.drop(columns=["session", "t_start", "t_end", "speech"]).to_numpy()).all()


EMPTY = r"empty \(0 bytes\)"
TRUNC_WAV = r"truncated WAV \(header declares 2\.000 s of audio, the file holds 0\.99\d s\)"
CUT = r"corrupt or cut at \d+\.\d\d s"
TRUNC_VIDEO = r"{verb} only 109 of the 157 frames, 10\.90 s of the 15\.70 s of video the file declares \(truncated\?\)"

CASES = [
    BadInput("zero-byte WAV", make_zero_byte_wav, "error: `…: media file is empty (0 bytes)`",
             {"probe": Raises(EMPTY), "load_audio": Raises(EMPTY), "opensmile_lld": Raises(EMPTY), "check_as_audio": reported("error", EMPTY)}),
    BadInput("zero-byte MP4", make_zero_byte_mp4, "error: `…: media file is empty (0 bytes)`",
             {"probe": Raises(EMPTY), "load_audio": Raises(EMPTY), "check_as_video": reported("error", EMPTY)}),
    BadInput("truncated WAV", make_truncated_wav,
             "error: `…: truncated WAV (header declares 2.000 s of audio, the file holds 0.999 s)` (FFmpeg alone would decode the half silently)",
             {"probe": Raises(TRUNC_WAV), "load_audio": Raises(TRUNC_WAV), "opensmile_lld": Raises(TRUNC_WAV), "check_as_audio": reported("error", TRUNC_WAV)}),
    BadInput("WAV cut after its header", make_header_only_wav, "error: `…: truncated WAV (header declares 2.000 s of audio, the file holds 0.000 s)`",
             {"probe": Raises(r"truncated WAV .*holds 0\.000 s"), "load_audio": Raises(r"truncated WAV")}),
    BadInput("truncated MP4 (index at the end)", make_truncated_mp4, "error: `…: not readable as media (… Invalid data …)`",
             {"probe": Raises(r"not readable as media"), "load_audio": Raises(r"not readable as media"),
              "opensmile_lld": Raises(r"not readable as media"), "check_as_video": reported("error", r"not readable as media")}),
    BadInput("truncated MP4 (index first, `faststart`)", make_truncated_faststart_mp4,
             "opens (headers intact); decoding fails: `…: audio stream is corrupt or cut at 0.70 s (…)`",
             {"probe": holds(lambda info: info.duration_s == 2.0 and info.has_audio, "the full declared duration"),
              "load_audio": Raises(CUT), "opensmile_lld": Raises(CUT), "check_as_audio": reported("error", CUT)}),
    BadInput("truncated video (157 frames declared, 109 decodable)", make_truncated_video,
             "error on every branch, with decoded vs declared: face detection `…: decoded only 109 of the 157 frames, 10.90 s of the "
             "15.70 s of video the file declares (truncated?)`; text (session length) and `check` `…: holds only 109 of the 157 frames, "
             "10.90 s of the 15.70 s …`; audio `…: audio stream is corrupt or cut at …`",
             {"probe": holds(lambda info: abs(info.duration_s - 15.7) < 1e-6, "the full declared duration (headers intact)"),
              "frame_times": Raises(TRUNC_VIDEO.format(verb="decoded")), "detect_faces": Raises(TRUNC_VIDEO.format(verb="decoded")),
              "text_duration": Raises(TRUNC_VIDEO.format(verb="holds")), "load_audio": Raises(CUT), "opensmile_lld": Raises(CUT),
              "check_as_video": reported("error", TRUNC_VIDEO.format(verb="holds")), "check_as_audio": reported("error", CUT)}),
    BadInput("MP4 with a corrupt middle", make_corrupt_middle_mp4, "error when decoded: `…: audio stream is corrupt or cut at 1.09 s (…)`",
             {"load_audio": Raises(CUT), "opensmile_lld": Raises(CUT), "check_as_audio": reported("error", CUT)}),
    BadInput("WAV with a corrupt middle", make_corrupt_middle_wav,
             "accepted: PCM carries no checksum, so overwritten samples are indistinguishable from sound (documented limit); length and the rest are intact",
             {"load_audio": Returns(_corrupt_pcm_decodes)}),
    BadInput("video with no audio track", make_video_without_audio,
             "as video: fine; as audio: error `…: no audio stream`; `check`: error `has no audio stream`",
             {"probe": holds(lambda info: info.has_video and not info.has_audio, "video only"),
              "load_audio": Raises(r"no audio stream"), "opensmile_lld": Raises(r"no audio stream"),
              "check_as_audio": reported("error", r"has no audio stream")}),
    BadInput("audio with no video track", make_audio_without_video,
             "as audio: fine; as video: error `…: no video stream`; `check`: error `has no video stream`",
             {"video_frame_times": Raises(r"no video stream"), "check_as_video": reported("error", r"has no video stream"),
              "load_audio": holds(lambda a: abs(len(a) / SR - SECONDS) < 0.1, "2 s of audio")}),
    BadInput("variable frame rate video", make_variable_frame_rate,
             "accepted: frames keep their own timestamps (`media.video_frame_times`); `check`: warning `variable frame rate`",
             {"video_frame_times": Returns(_vfr_times), "check_as_video": reported("warning", r"variable frame rate \(frame intervals 25–100 ms\)")}),
    BadInput("8-bit WAV", make_wav_8bit, "decoded to float32 in [−1, 1] like any WAV (error ≤ 1/128)",
             {"load_audio": _close_to_tone(1.0, 1 / 128 + 1e-4), "opensmile_lld": Returns(_opensmile_like_16bit)}),
    BadInput("24-bit WAV", make_wav_24bit, "decoded to float32 in [−1, 1] like any WAV",
             {"load_audio": _close_to_tone(1.0, 1e-5), "opensmile_lld": Returns(_opensmile_like_16bit)}),
    BadInput("stereo WAV", make_wav_stereo, "mixed to mono as the mean of the channels (not FFmpeg's 1/√2 downmix)",
             {"load_audio": _close_to_tone(0.5, 1e-4), "opensmile_lld": Returns(_opensmile_like_16bit)}),
    BadInput("audio shorter than one grid frame (50 ms)", make_shorter_than_a_frame,
             "error: `…: audio lasts 0.050 s, shorter than one grid frame (0.1 s)`",
             {"opensmile_lld": Raises(r"lasts 0\.050 s, shorter than one grid frame \(0\.1 s\)"),
              "opensmile_functionals": Raises(r"shorter than one grid frame"), "check_as_audio": reported("error", r"shorter than one grid frame")}),
    BadInput("audio shorter than one functionals window (1.5 s, window 4 s)", make_shorter_than_a_window,
             "one functionals row spanning the whole clip (0–1.5 s)", {"opensmile_functionals": Returns(_one_window_over_the_clip)}),
    BadInput("long silence (8 s of −80 dBFS in 9 s)", make_long_silence,
             "rows kept with their features and `speech = false`; `check`: warning `silent … for 89%` (from 80 % of a clip)",
             {"opensmile_lld": Returns(_speech_flags_follow_the_silence), "check_as_audio": reported("warning", r"silent \(below -50 dBFS\) for 8\d% of its 9\.0 s")}),
    BadInput("non-UTF-8 transcript", make_non_utf8_transcript,
             "error: `…: not UTF-8 (byte 0xe7 at offset 0, line 1)`",
             {"read_utf8": Raises(r"not UTF-8 \(byte 0xe7 at offset 0, line 1\)"),
              "read_transcript": Raises(r"not UTF-8 \(byte 0xe7 at offset 0, line 1\)"),
              "check_as_transcript": reported("error", r"not UTF-8")}),
    BadInput("empty transcript", make_empty_transcript, "read as no words; `check`: warning `is empty`",
             {"read_utf8": holds(lambda text: text == "", "no text"),
              "read_transcript": holds(lambda t: t.words == [] and t.utterances == [], "a transcript with no words"),
              "check_as_transcript": reported("warning", r"is empty")}),
    BadInput("labels with NaN", make_labels_with_nan, "frames whose nearest annotations include a NaN get `label_valid = false` and NaN values; `check`: warning",
             {"grid_labels": _valid_frames(lambda t: np.isin(np.round(t, 1), [0.5, 0.6])),
              "check_as_labels": reported("warning", r"2 of 21 annotation rows with NaN")}),
    BadInput("labels with a gap (none from 0.5 to 1.2 s)", make_labels_with_gap, "frames in the gap `label_valid = false`; `check`: warning `gap`",
             {"grid_labels": _valid_frames(lambda t: (t > 0.45) & (t < 1.25)),
              "check_as_labels": reported("warning", r"1 gap\(s\) .* the longest 0\.90 s from 0\.40 s")}),
    BadInput("labels with unsorted timestamps", make_labels_unsorted, "error: `…: timestamps are not sorted (first decrease at row 4)`",
             {"grid_labels": Raises(r"timestamps are not sorted \(first decrease at row 4\)"), "check_as_labels": reported("error", r"not sorted")}),
    BadInput("labels with duplicated timestamps", make_labels_duplicated, "error: `…: duplicated timestamps [0.3]`",
             {"grid_labels": Raises(r"duplicated timestamps \[0\.3\]"), "check_as_labels": reported("error", r"duplicated timestamps")}),
    BadInput("labels shorter than the media (1 s on 2 s)", make_labels_shorter,
             "the unlabelled tail is `label_valid = false`; `check`: warning when over 1 s",
             {"grid_labels": _valid_frames(lambda t: t > 1.0 + 1e-9)}),
    BadInput("labels longer than the media (6 s on 2 s)", make_labels_longer,
             "the grid follows the media; annotations past its end are unused; `check`: warning `past the end of the media`",
             {"grid_labels": _valid_frames(lambda t: np.zeros(len(t), bool)),
              "check_as_labels": reported("warning", r"runs to 6\.00 s, 4\.00 s past the end of the media")}),
    BadInput("label file with a header only", make_labels_header_only, "error: `…: no annotation rows (only a header)`",
             {"grid_labels": Raises(r"no annotation rows"), "check_as_labels": reported("error", r"no annotation rows")}),
]
