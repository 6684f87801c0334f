"""Our hand-written STFT and mel filterbank against librosa's numbers (an independent implementation).

VGGish parameters: 16 kHz, 25 ms (400-sample) periodic-Hann frames every 10 ms (160 samples),
512-point FFT, 64 HTK mel bands 125-7500 Hz. librosa centres a window shorter than ``n_fft`` inside
the ``n_fft`` frame (``(512 - 400) / 2 = 56`` zeros each side), so its frame t covers the samples
our frame t covers once the signal is shifted by 56 samples; the magnitudes then agree exactly.

The mel filterbank is kept hand-written, not ``librosa.filters.mel``: VGGish's reference
(``mel_features.spectrogram_to_mel_matrix``, what the released weights were trained on) draws each
triangle linearly in mel, librosa linearly in Hz. Same band edges, same bins, same peaks; the weights
differ by at most 0.0045 (measured: 0.00442), which the last test pins.
"""
import librosa  # requirements-test.txt: a test reference only, the pipeline does not import it
import numpy as np
import pytest

from affectflow.extractors import spectrogram, vggish

SR, WIN, HOP, N_FFT, N_MELS, FMIN, FMAX = 16000, 400, 160, 512, 64, 125.0, 7500.0


def _librosa_magnitude(x, n_fft, win):
    pad = (n_fft - win) // 2
    return np.abs(librosa.stft(np.pad(x, (pad, pad)), n_fft=n_fft, hop_length=HOP, win_length=win, window="hann",
                               center=False)).T


def _librosa_mel():
    return librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX, htk=True, norm=None).T


def test_vggish_log_mel_frames_are_librosas_stft_through_our_filterbank():
    x = np.random.default_rng(0).normal(size=SR + 123)  # 1.0077 s: 98 complete frames
    ours = vggish.log_mel(x)
    mag = _librosa_magnitude(x, N_FFT, WIN)
    assert ours.shape == (len(mag), N_MELS) == (1 + (len(x) - WIN) // HOP, N_MELS)
    np.testing.assert_allclose(ours, np.log(mag @ vggish.mel_matrix(N_FFT) + 0.01), rtol=0, atol=1e-10)


def test_log_power_spectrogram_is_librosas_power_in_db():
    x = np.random.default_rng(1).normal(size=int(1.28 * SR))  # birhala's window, our STFT defaults
    ours = spectrogram.log_power_spectrogram(x, SR, n_fft=1024, win_s=0.02, hop_s=0.01, floor_db=-100.0)
    power = _librosa_magnitude(x, 1024, 320).T ** 2
    assert ours.shape == power.shape == (513, 1 + (len(x) - 320) // HOP)
    np.testing.assert_allclose(ours, np.maximum(10 * np.log10(power + 1e-20), -100.0), rtol=0, atol=1e-4)  # float32 dB


def test_vggish_mel_filterbank_has_librosas_htk_bands_and_differs_only_in_the_triangle_shape():
    ours, lib = vggish.mel_matrix(N_FFT), _librosa_mel()
    assert ours.shape == lib.shape == (N_FFT // 2 + 1, N_MELS)
    # band edges: 66 points equally spaced on the HTK mel scale between 125 and 7500 Hz
    edges = librosa.mel_frequencies(N_MELS + 2, fmin=FMIN, fmax=FMAX, htk=True)
    bins = np.linspace(0, SR / 2, N_FFT // 2 + 1)
    for band in range(N_MELS):
        inside = (bins > edges[band]) & (bins < edges[band + 2])
        assert np.array_equal(ours[:, band] > 0, inside) and np.array_equal(lib[:, band] > 0, inside), band
    assert np.array_equal(ours.argmax(axis=0), lib.argmax(axis=0))
    diff = np.abs(ours - lib)
    assert 1e-3 < diff.max() < 0.0045  # triangles in mel (VGGish) vs in Hz (librosa): close, not equal
    # the HTK mel of 1000 Hz is 1000 mel on both scales (1127 ln(1 + f/700) vs 2595 log10(1 + f/700))
    assert vggish._hz_to_mel(1000.0) == pytest.approx(librosa.hz_to_mel(1000.0, htk=True), abs=0.01)
