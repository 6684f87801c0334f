"""Audio extractors: store contract, grid alignment, speech flag, and each one's own numbers.

Media: a short session of the demo corpus (an mp4 whose audio track is decoded by PyAV),
generated stereo WAVs, and CREMA-D clips in their shipped formats (flv, mp3, wav) where present.
Neural extractors run real networks: VGGish with random weights the test saves, wav2vec2 tiny
models built with ``save_pretrained``, and the Whisper tiny.en model shipped in a package.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from affectflow import extractors
from affectflow.core import grid, media, store
from affectflow.core.segments import window_spans
from affectflow.datasets.demo_corpus import generate_session
from affectflow.extractors.spectrogram import log_power_spectrogram, spectrogram_array
from affectflow.extractors.vggish import build_vggish, mel_matrix, patches
from affectflow.extractors.waveform import waveform_array
from conftest import shared_data

HOP = 0.1
DURATION = 8.0


@pytest.fixture(scope="module")
def demo_media(tmp_path_factory):
    paths = generate_session(tmp_path_factory.mktemp("demo"), "demo02", 1, seed=0, duration_s=DURATION)
    return extractors.SessionMedia("demo", "demo02", video=str(paths["media"]), audio=str(paths["media"]))


@pytest.fixture(scope="module")
def vggish_weights(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("vggish") / "vggish_random.pth"
    torch.save(build_vggish().state_dict(), path)
    return path


def _tiny_wav2vec2(folder, head: bool):
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    from affectflow.extractors.wav2vec2 import emotion_model_class

    torch.manual_seed(0)
    cfg = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                         conv_dim=(16, 16, 16, 16, 16, 16, 16), num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
                         num_labels=3, id2label={0: "arousal", 1: "dominance", 2: "valence"},
                         label2id={"arousal": 0, "dominance": 1, "valence": 2}, final_dropout=0.1)
    model = emotion_model_class()(cfg) if head else Wav2Vec2Model(cfg)
    model.save_pretrained(folder)
    Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=True).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf")
    return {"w2v": _tiny_wav2vec2(root / "w2v", head=False), "dims": _tiny_wav2vec2(root / "dims", head=True)}


def configs(vggish_weights, tiny_models):
    return {
        "egemaps_lld": ({"kind": "opensmile", "feature_set": "eGeMAPSv02", "level": "lld"}, "grid"),
        "compare_lld": ({"kind": "opensmile", "feature_set": "ComParE_2016", "level": "lld"}, "grid"),
        "egemaps_func": ({"kind": "opensmile", "feature_set": "eGeMAPSv02", "level": "functionals", "window_s": 4.0, "window_hop_s": 1.0}, (4.0, 1.0)),
        "compare_func": ({"kind": "opensmile", "feature_set": "ComParE_2016", "level": "functionals", "window_s": 4.0, "window_hop_s": 2.0}, (4.0, 2.0)),
        "spec_birhala": ({"kind": "spectrogram", "window_s": 1.28, "resize": [192, 120]}, (1.28, HOP)),
        "spec_waligora": ({"kind": "spectrogram", "window_s": None, "resize": [64, 107]}, "clip"),
        "vggish": ({"kind": "vggish", "weights": str(vggish_weights)}, (0.96, 0.96)),
        "w2v_frames": ({"kind": "wav2vec2", "model": tiny_models["w2v"], "layer": 1}, "grid"),
        "w2v_windows": ({"kind": "wav2vec2", "model": tiny_models["w2v"], "layer": -1, "window_s": 2.0, "window_hop_s": 1.0, "pooling": "mean_std"}, (2.0, 1.0)),
        "w2v_dims": ({"kind": "wav2vec2_dimensions", "model": tiny_models["dims"], "window_s": 4.0, "window_hop_s": 2.0}, (4.0, 2.0)),
        "whisper": ({"kind": "whisper_encoder"}, "grid"),
        "waveform": ({"kind": "waveform_chunks", "interlocutor_channel": 1}, "grid"),
    }


@pytest.fixture(scope="module")
def extracted(demo_media, vggish_weights, tiny_models, tmp_path_factory):
    root = tmp_path_factory.mktemp("features")
    out = {}
    for name, (params, shape) in configs(vggish_weights, tiny_models).items():
        path = store.feature_path(root, "demo", name, "demo02")
        df = extractors.run(name, dict(params), demo_media, HOP, path)
        out[name] = {"params": params, "shape": shape, "df": df, "path": path}
    return out


NAMES = ["egemaps_lld", "compare_lld", "egemaps_func", "compare_func", "spec_birhala", "spec_waligora", "vggish",
         "w2v_frames", "w2v_windows", "w2v_dims", "whisper", "waveform"]


@pytest.mark.parametrize("name", NAMES)
def test_store_contract_and_times_agree_with_the_grid(extracted, demo_media, name):
    item = extracted[name]
    back = store.read(item["path"])
    store.validate_table(back)
    assert list(back.columns[:3]) == ["session", "t_start", "t_end"] and (back["session"] == "demo02").all()
    meta = store.read_metadata(item["path"])
    assert meta["extractor"] == name and meta["params"]["kind"] == item["params"]["kind"] and meta["params"]["hop_s"] == HOP
    assert meta["sources"]["audio"]["sha256"] == store.sha256_file(demo_media.audio)
    assert back["speech"].dtype == bool and back["speech"].any()
    shape = item["shape"]
    if shape == "grid":
        assert not back["speech"].all()  # the demo voice pauses between utterances
        t0, t1 = grid.frame_times(DURATION, HOP)
        np.testing.assert_array_equal(back["t_start"].to_numpy(), t0)
        np.testing.assert_array_equal(back["t_end"].to_numpy(), t1)
    elif shape == "clip":
        assert back[["t_start", "t_end"]].values.tolist() == [[0.0, DURATION]]
    else:
        window, step = shape
        assert back["t_start"].iloc[0] == 0.0 and back["t_end"].iloc[-1] <= DURATION + 1e-9
        np.testing.assert_allclose(back["t_end"] - back["t_start"], window, atol=1e-6)
        np.testing.assert_allclose(np.diff(back["t_start"]), step, atol=1e-6)
        assert len(back) == int(np.floor((DURATION - window) / step + 1e-9)) + 1
        if abs(step / HOP - round(step / HOP)) < 1e-9:  # VGGish's 0.96 s windows cannot start on 0.1 s frames
            # window starts fall on grid frame starts, so the join's window-to-grid mapping is exact
            np.testing.assert_allclose(back["t_start"] / HOP, np.round(back["t_start"] / HOP), atol=1e-6)
    numeric = store.feature_columns(back, exclude=("interlocutor_present",))
    if numeric:
        assert back[numeric].dtypes.eq(np.float32).all()
        assert np.isfinite(back[numeric].to_numpy()).all()


def test_feature_dimensions(extracted):
    def n(name):
        return len(store.feature_columns(extracted[name]["df"]))

    assert (n("egemaps_lld"), n("compare_lld"), n("egemaps_func"), n("compare_func")) == (25, 65, 88, 6373)
    assert (n("vggish"), n("w2v_frames"), n("w2v_windows"), n("whisper")) == (128, 32, 64, 384)
    assert list(store.feature_columns(extracted["w2v_dims"]["df"])) == ["arousal", "dominance", "valence"]


def test_windowed_functionals_agree_with_one_openSMILE_call_per_window(extracted, demo_media):
    import opensmile

    df = extracted["egemaps_func"]["df"]
    smile = opensmile.Smile(opensmile.FeatureSet.eGeMAPSv02, opensmile.FeatureLevel.Functionals)
    audio = media.load_audio(demo_media.audio, 16000)
    per_window = np.vstack([smile.process_signal(audio[int(a * 16000):int(b * 16000)], 16000).to_numpy()[0]
                            for a, b in zip(df["t_start"], df["t_end"])])
    one_pass = df[store.feature_columns(df)].to_numpy()
    # identical functionals; only the LLDs at window borders differ (computed in context vs. cut)
    rel = np.abs(one_pass - per_window) / (np.abs(per_window) + 1e-3)
    assert np.median(rel) < 0.02
    assert np.median(np.abs(one_pass[:, 0] - per_window[:, 0])) < 0.5  # mean F0 in semitones


def test_spectrograms_round_trip_exactly_with_the_papers_shapes(extracted, demo_media):
    birhala = store.read(extracted["spec_birhala"]["path"])
    arr = spectrogram_array(birhala)
    assert arr.shape == (len(birhala), 192, 120) and arr.dtype == np.float32
    np.testing.assert_array_equal(arr, spectrogram_array(extracted["spec_birhala"]["df"]))
    waligora = spectrogram_array(store.read(extracted["spec_waligora"]["path"]))
    assert waligora.shape == (1, 64, 107)
    # the same spectrograms through a reader that knows nothing of affectflow
    import polars as pl

    first = np.array(pl.read_parquet(extracted["spec_birhala"]["path"])["spectrogram"][0].to_list(), dtype=np.float32)
    np.testing.assert_array_equal(first, arr[0])


def test_log_power_spectrogram_of_a_tone():
    sr = 16000
    t = np.arange(sr) / sr
    s = log_power_spectrogram(np.sin(2 * np.pi * 1000.0 * t), sr, n_fft=1024, win_s=0.02, hop_s=0.01)
    assert s.shape == (513, (sr - 320) // 160 + 1)
    assert set(np.argmax(s, axis=0)) == {64}  # 1000 Hz / (16000 / 1024) Hz per bin
    quiet = log_power_spectrogram(0.1 * np.sin(2 * np.pi * 1000.0 * t), sr)
    np.testing.assert_allclose(s[64] - quiet[64], 20.0, atol=1e-3)  # 10·log10 of power: 20 dB per ×10 amplitude


def _reference_examples(audio):
    """VGGish's own input pipeline (``vggish_input.waveform_to_examples`` at 16 kHz) with the
    release's ``mel_features`` and ``vggish_params`` values."""
    import vggish_reference_mel_features as ref

    log_mel = ref.log_mel_spectrogram(audio, audio_sample_rate=16000, log_offset=0.01, window_length_secs=0.025,
                                      hop_length_secs=0.010, num_mel_bins=64, lower_edge_hertz=125, upper_edge_hertz=7500)
    return ref.frame(log_mel, window_length=96, hop_length=96)


def test_vggish_mel_matrix_is_the_references():
    import vggish_reference_mel_features as ref

    expected = ref.spectrogram_to_mel_matrix(num_mel_bins=64, num_spectrogram_bins=257, audio_sample_rate=16000,
                                             lower_edge_hertz=125, upper_edge_hertz=7500)
    np.testing.assert_allclose(mel_matrix(512), expected, rtol=1e-12, atol=1e-15)


def test_vggish_patches_frame_the_whole_signal_as_the_reference():
    rng = np.random.default_rng(0)
    t = np.arange(int(3.5 * 16000)) / 16000
    audio = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(len(t))
    spans = window_spans(3.5, 0.96, 0.96)
    ours, expected = patches(audio, spans), _reference_examples(audio)
    assert expected.shape == (3, 96, 64) and ours.shape == (3, 96, 64)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)
    # the last two frames of each example reach into the next 0.96 s: framing the window alone
    # (the former behaviour) differs there, and only there
    alone = patches(audio[15360:30720], [(0.0, 0.96)])[0]
    np.testing.assert_allclose(alone[:94], expected[1][:94], rtol=1e-5, atol=1e-5)
    assert np.abs(alone[94:] - expected[1][94:]).max() > 1e-2


def test_vggish_embeddings_are_the_networks_output_on_the_reference_examples(extracted, demo_media, vggish_weights, tmp_path):
    df = extracted["vggish"]["df"]
    model = build_vggish()
    model.load_state_dict(torch.load(vggish_weights, weights_only=True))
    audio = media.load_audio(demo_media.audio, 16000)
    examples = _reference_examples(audio.astype(np.float64))
    n = len(df)
    assert n == len(examples) == 8  # 8 s: frames 0..797, examples of 96 frames every 96
    with torch.inference_mode():
        expected = model.eval()(torch.from_numpy(examples[:n, None].astype(np.float32))).numpy()
    np.testing.assert_allclose(df[store.feature_columns(df)].to_numpy()[:n], expected, rtol=1e-4, atol=1e-5)
    assert store.read_metadata(extracted["vggish"]["path"])["weights_sha256"] == hashlib.sha256(vggish_weights.read_bytes()).hexdigest()
    bad = tmp_path / "other.pth"
    torch.save({"layer.weight": torch.zeros(2)}, bad)
    with pytest.raises(extractors.ExtractorError, match="other.pth.*not a VGGish state dict"):
        extractors.create("v", {"kind": "vggish", "weights": str(bad)}).extract(demo_media, HOP)
    with pytest.raises(extractors.ExtractorError, match="weights file .*absent.pth.* not found"):
        extractors.create("v", {"kind": "vggish", "weights": str(tmp_path / "absent.pth")}).extract(demo_media, HOP)


def test_wav2vec2_hidden_states_pool_the_models_frames(extracted, demo_media, tiny_models):
    from transformers import AutoModel

    from affectflow.extractors.wav2vec2 import normalise

    model = AutoModel.from_pretrained(tiny_models["w2v"]).eval()
    audio = media.load_audio(demo_media.audio, 16000)
    with torch.inference_mode():
        h = model(torch.from_numpy(normalise(audio, tiny_models["w2v"]))[None], output_hidden_states=True).hidden_states[1][0].numpy()
    # grid frame [0.1, 0.2) holds the 20 ms frames centred at 0.1125 … 0.1925 s (frames 5 … 9)
    got = extracted["w2v_frames"]["df"].iloc[1][store.feature_columns(extracted["w2v_frames"]["df"])].to_numpy(np.float32)
    np.testing.assert_allclose(got, h[5:10].mean(0), rtol=1e-4, atol=1e-5)
    assert store.read_metadata(extracted["w2v_frames"]["path"])["weights_sha256"] == store.sha256_file(f"{tiny_models['w2v']}/model.safetensors")


def test_audeering_head_predicts_each_window(extracted, demo_media, tiny_models):
    """Reference built from transformers and the weights file, not from affectflow: the feature
    extractor's normalisation, ``Wav2Vec2Model`` hidden states mean-pooled, then the model card's
    head ``out_proj(tanh(dense(h)))`` with the saved tensors."""
    from safetensors.torch import load_file
    from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2Model

    folder = tiny_models["dims"]
    encoder = Wav2Vec2Model.from_pretrained(folder).eval()
    w = load_file(f"{folder}/model.safetensors")
    audio = media.load_audio(demo_media.audio, 16000)
    df = extracted["w2v_dims"]["df"]
    a, b = df["t_start"].iloc[1], df["t_end"].iloc[1]
    x = Wav2Vec2FeatureExtractor.from_pretrained(folder)(audio[int(a * 16000):int(b * 16000)], sampling_rate=16000,
                                                         return_tensors="pt").input_values
    with torch.inference_mode():
        h = encoder(x).last_hidden_state.mean(dim=1)
        h = torch.tanh(h @ w["classifier.dense.weight"].T + w["classifier.dense.bias"])
        logits = h @ w["classifier.out_proj.weight"].T + w["classifier.out_proj.bias"]
    np.testing.assert_allclose(df[["arousal", "dominance", "valence"]].iloc[1].to_numpy(np.float32), logits[0].numpy(), rtol=1e-3, atol=1e-4)
    missing = str(demo_media.audio) + "_missing"
    with pytest.raises(extractors.ExtractorError, match=f"cannot load the folder '{re.escape(missing)}'"):
        extractors.create("x", {"kind": "wav2vec2_dimensions", "model": missing}).extract(demo_media, HOP)


def test_whisper_encoder_frames_differ_between_speech_and_pause(extracted):
    df = extracted["whisper"]["df"]
    assert store.read_metadata(extracted["whisper"]["path"])["model_id"].startswith("faster-whisper:tiny.en")
    x = df[store.feature_columns(df)].to_numpy()
    speech, pause = x[df["speech"].to_numpy()], x[~df["speech"].to_numpy()]
    # the encoder separates voiced frames from pauses: between-class distance well above the within-class spread
    gap = np.linalg.norm(speech.mean(0) - pause.mean(0))
    spread = np.sqrt(np.mean(np.sum((speech - speech.mean(0)) ** 2, axis=1)))
    assert gap > 0.3 * spread, (gap, spread)


def test_waveform_chunks_carry_both_channels_exactly(tmp_path):
    sr = 16000
    rng = np.random.default_rng(0)
    stereo = np.round(rng.uniform(-0.5, 0.5, (sr * 2, 2)) * 32767).astype(np.int16)
    wav = tmp_path / "dyad.wav"
    sf.write(wav, stereo, sr, subtype="PCM_16")
    m = extractors.SessionMedia("d", "dyad", audio=str(wav))
    df = extractors.create("w", {"kind": "waveform_chunks", "interlocutor_channel": 1, "speech_flag": False}).extract(m, HOP)
    out = tmp_path / "w.parquet"
    store.write(df, out, {"test": True})
    back = store.read(out)
    assert len(back) == 20 and back["interlocutor_present"].all()
    np.testing.assert_array_equal(waveform_array(back).reshape(-1), stereo[:, 0] / 32768.0)
    np.testing.assert_array_equal(waveform_array(back, "interlocutor").reshape(-1), stereo[:, 1] / 32768.0)
    mono = tmp_path / "mono.wav"
    sf.write(mono, stereo[:, 0], sr, subtype="PCM_16")
    df = extractors.create("w", {"kind": "waveform_chunks", "interlocutor_channel": 1, "speech_flag": False}).extract(
        extractors.SessionMedia("d", "mono", audio=str(mono)), HOP)
    assert not df["interlocutor_present"].any() and df["interlocutor"].isna().all()  # flagged, never silence


@pytest.mark.parametrize("folder,suffix", [("AudioMP3", "mp3"), ("VideoFlash", "flv")])
def test_cremad_mp3_and_flv_audio_decode_to_the_same_16k_mono_signal_as_the_wav(folder, suffix):
    root = shared_data("cremad_subset")
    other = sorted((root / folder).glob(f"*.{suffix}"))[0]
    wav = media.load_audio(root / "AudioWAV16k" / f"{other.stem}.wav", 16000)
    x = media.load_audio(other, 16000)
    assert x.ndim == 1 and abs(len(x) - len(wav)) < 0.1 * 16000, other
    n = min(len(x), len(wav))
    # the same recording through different codecs: the loudness envelopes agree
    env = [np.sqrt(np.convolve(y[:n] ** 2, np.ones(1600) / 1600, mode="valid"))[::800] for y in (x, wav)]
    assert np.corrcoef(*env)[0, 1] > 0.9, other


def test_hubert_hidden_states_load_through_the_same_extractor(tmp_path, demo_media):
    from transformers import HubertConfig, HubertModel

    torch.manual_seed(0)
    cfg = HubertConfig(hidden_size=24, num_hidden_layers=3, num_attention_heads=2, intermediate_size=31,
                       conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    HubertModel(cfg).save_pretrained(tmp_path / "hubert")
    ex = extractors.create("hubert", {"kind": "wav2vec2", "model": str(tmp_path / "hubert"), "layer": 2, "window_s": 2.0,
                                      "window_hop_s": 2.0, "pooling": "max", "speech_flag": False})
    df = ex.extract(demo_media, HOP)
    assert len(df) == 4 and len(store.feature_columns(df)) == 24 and store.feature_columns(df)[0] == "w2v_l2_0000"
    assert ex.weights_sha256() == store.sha256_file(tmp_path / "hubert" / "model.safetensors")
    with pytest.raises(extractors.ExtractorError, match="layer 9 out of range; the model has 4 hidden states"):
        extractors.create("h", {"kind": "wav2vec2", "model": str(tmp_path / "hubert"), "layer": 9, "speech_flag": False}).extract(demo_media, HOP)
