"""EmoDB leave-one-speaker-out emotion classification from eGeMAPS whole-clip functionals.

The staged EmoDB clips are cut to 2 s, so the figure is below published EmoDB results; chance
is 1/7 ≈ 14 % UAR. The features come through the real extractor (PyAV decode, openSMILE).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from affectflow import extractors
from affectflow.datasets.emodb import manifest as emodb_manifest
from affectflow.evaluation.speaker_cv import loso_uar
from conftest import shared_data


@pytest.fixture(scope="module")
def emodb_functionals():
    root = shared_data("emodb")
    table = emodb_manifest("emodb", {"root": str(root)}).table
    ex = extractors.create("egemaps_clip", {"kind": "opensmile", "feature_set": "eGeMAPSv02", "level": "functionals",
                                            "window_s": None, "speech_flag": False})
    rows = [ex.extract(extractors.SessionMedia("emodb", r.session, audio=r.audio), 0.1) for r in table.itertuples()]
    feats = pd.concat(rows, ignore_index=True)
    return table[["session", "speaker", "emotion"]].merge(feats, on="session", validate="one_to_one")


def test_one_whole_clip_row_per_emodb_clip(emodb_functionals):
    assert len(emodb_functionals) == 535
    assert emodb_functionals["speaker"].nunique() == 10 and emodb_functionals["emotion"].nunique() == 7
    assert np.allclose(emodb_functionals["t_start"], 0.0)
    assert np.allclose(emodb_functionals["t_end"], 2.0, atol=0.01)  # the staged clips are 2 s
    cols = [c for c in emodb_functionals.columns if c not in ("session", "speaker", "emotion", "t_start", "t_end")]
    assert len(cols) == 88 and np.isfinite(emodb_functionals[cols].to_numpy()).all()


def test_loso_uar_from_egemaps_functionals_far_above_chance(emodb_functionals):
    cols = [c for c in emodb_functionals.columns if c not in ("session", "speaker", "emotion", "t_start", "t_end")]
    uar, per_speaker = loso_uar(emodb_functionals, cols)
    print(f"\nEmoDB LOSO UAR (eGeMAPSv02 functionals, linear SVM): {uar:.3f}\n{per_speaker.to_string(index=False)}")
    assert len(per_speaker) == 10
    assert uar > 0.55, uar           # chance: 1/7 ≈ 0.143
    assert per_speaker["uar"].min() > 0.25
