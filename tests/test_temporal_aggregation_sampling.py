"""Sampling of asynchronous audio-visual windows (birhala-…): frames, offsets and windows in bounds."""
import numpy as np
import pytest

from affectflow.models.temporal_aggregation import sampling

FPS, DURATION, SR = 30.0, 2.5, 16000


def frames(duration=DURATION, fps=FPS):
    return np.round(np.arange(int(duration * fps)) / fps, 6)


@pytest.mark.parametrize("n_segments", [1, 3, 10])
def test_frames_lie_in_their_segment_and_audio_centres_within_b(n_segments):
    times = frames()
    found = np.ones(len(times), bool)
    rng = np.random.default_rng(0)
    b, d = 0.01, 1.28
    for _ in range(200):
        draws = sampling.draw_segments(times, found, DURATION, n_segments, b, d, rng)
        assert [x.segment for x in draws] == list(range(n_segments))
        for x in draws:
            assert x.seg_start <= x.frame_time <= x.seg_end and 0 <= x.frame_time < DURATION
            assert x.frame_time == times[x.row]
            assert abs(x.centre - x.frame_time) <= b + 1e-12
            assert x.win_end - x.win_start == pytest.approx(d)
            assert -d / 2 - b <= x.win_start and x.win_end <= DURATION + d / 2 + b
        # segments are contiguous, equal and cover the clip
        edges = [x.seg_start for x in draws] + [draws[-1].seg_end]
        assert np.allclose(np.diff(edges), DURATION / n_segments) and edges[0] == 0 and edges[-1] == DURATION


def test_offsets_fill_the_interval_and_draws_are_seeded():
    times, found = frames(), np.ones(75, bool)
    offsets = [x.centre - x.frame_time for _ in range(100) for x in sampling.draw_segments(times, found, DURATION, 10, 0.01, 1.28, np.random.default_rng(_))]
    assert min(offsets) < -0.009 and max(offsets) > 0.009  # uniform over [-b, b], not a constant
    a = sampling.draw_segments(times, found, DURATION, 10, 0.01, 1.28, np.random.default_rng(7))
    b = sampling.draw_segments(times, found, DURATION, 10, 0.01, 1.28, np.random.default_rng(7))
    assert a == b


def test_frames_with_a_face_are_preferred_and_faceless_segments_flagged():
    times = frames()
    found = times >= 1.25  # no face in the first half
    for seed in range(20):
        draws = sampling.draw_segments(times, found, DURATION, 2, 0.01, 1.28, np.random.default_rng(seed))
        assert draws[0].face_found is False and draws[1].face_found is True and found[draws[1].row]


def test_segment_without_frames_is_a_clear_error():
    with pytest.raises(sampling.SamplingError, match="clip c1: segment 3 .* holds no sampled frame"):
        sampling.draw_segments(np.array([0.0, 0.5, 1.0]), np.ones(3, bool), 2.0, 4, 0.01, 1.28, np.random.default_rng(0), clip="c1")


def test_audio_window_is_zero_padded_at_the_clip_edges():
    audio = np.arange(1, 1 + int(DURATION * SR), dtype=np.float32)
    w = sampling.audio_window(audio, SR, 0.1, 1.28)  # starts 0.54 s before the clip
    assert len(w) == int(1.28 * SR)
    pad = int(np.ceil(0.54 * SR))
    assert (w[:pad] == 0).all() and w[pad] == audio[0] and (w[pad:] > 0).all()
    w = sampling.audio_window(audio, SR, 1.0, 1.28)  # wholly inside: samples floor(sr(c-d/2)) onwards
    assert w[0] == audio[int(np.floor(SR * 0.36))] and (w > 0).all()
    w = sampling.audio_window(audio, SR, DURATION, 1.28)  # half past the end
    assert (w[len(w) // 2 + 1:] == 0).all() and (w[:len(w) // 2] > 0).all()  # +1: floor of a float product


def test_clip_sample_has_paper_shapes():
    rng = np.random.default_rng(0)
    times = frames()
    crops = rng.integers(0, 255, (len(times), 224, 224, 3), dtype=np.uint8)
    audio = rng.normal(0, 0.1, int(DURATION * SR)).astype(np.float32)
    faces, specs, draws = sampling.sample_clip(crops, times, np.ones(len(times), bool), audio, SR, DURATION, {"segments": 4}, rng)
    assert faces.shape == (4, 224, 224, 3) and specs.shape == (4, 192, 120) and specs.dtype == np.float32
    assert all((faces[i] == crops[d.row]).all() for i, d in enumerate(draws))
    assert np.isfinite(specs).all() and specs.max() > -100
