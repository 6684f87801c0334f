import numpy as np
import pytest

from affectflow.core import grid


def test_grid_keeps_whole_frames_only():
    t0, t1 = grid.frame_times(1.05, 0.1)
    assert len(t0) == 10
    assert t0[3] == 0.3 and t1[3] == 0.4  # rounded: exact joins on t_start
    assert grid.n_frames(1.0, 0.1) == 10  # float noise in 1.0/0.1 does not drop a frame


def test_pool_to_grid_means_and_marks_empty_frames_nan():
    times = np.array([0.01, 0.05, 0.15, 0.35])
    pooled, rows = grid.pool_to_grid(times, np.array([1.0, 3.0, 5.0, 7.0]), 0.4, 0.1)
    assert pooled[:, 0].tolist()[:2] == [2.0, 5.0]
    assert np.isnan(pooled[2, 0])  # no row fell in [0.2, 0.3): NaN, never 0
    assert pooled[3, 0] == 7.0 and rows.tolist() == [2, 1, 0, 1]


def test_windows_map_to_the_covering_window_with_nearest_centre():
    # windows of 4 s every 1 s over 6 s: frame centres near 2.5 s are covered by windows 0,1,2 (centres 2,3,4)
    idx = grid.align_windows_to_grid(np.array([0.0, 1.0, 2.0]), np.array([4.0, 5.0, 6.0]), 6.0, 0.1)
    assert idx[24] == 0 and idx[25] == 1  # centre 2.45 → window centred 2.0; 2.55 → 3.0 (nearer)
    assert idx[59] == 2
    assert (grid.align_windows_to_grid(np.array([1.0]), np.array([2.0]), 3.0, 0.1)[:10] == -1).all()


def test_bad_hop_is_an_error():
    with pytest.raises(ValueError, match="hop"):
        grid.n_frames(1.0, 0)
