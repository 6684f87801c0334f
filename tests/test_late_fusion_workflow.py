"""The late-fusion rules end to end on a dataset of labels and other systems' predictions only (no
media): the grid from the label files, session ids 00-07 kept as text, conversation groups, the
shared label shift job and Table 1 with its best-single-input row."""
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import demo_config, snakemake

from affectflow.core import labels as labels_mod
from affectflow.datasets import build_manifest
from late_fusion_corpus import DIMS, noisy_copy


def write_dataset(root):
    """8 sessions (4 conversations of 2) of 12 s: AVEC label files and two systems' AVEC predictions."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(8):
        session = f"{i:02d}"
        t = np.round(np.arange(120) * 0.1, 6)
        lab = pd.DataFrame({"name": session, "timestamp": t})
        for d in DIMS:
            lab[d] = 0.5 + 0.15 * np.convolve(rng.standard_normal(140), np.ones(8) / 8, mode="same")[10:130] * 3
        (root / "labels").mkdir(exist_ok=True)
        lab.to_csv(root / "labels" / f"{session}.csv", sep=";", index=False)
        frames = labels_mod.to_grid(lab[["timestamp", *DIMS]], session, 12.0, 0.1)
        for k, r in enumerate((0.8, 0.6)):
            (root / f"sys{k}").mkdir(exist_ok=True)
            noisy_copy(frames, {"arousal": r, "valence": r}, k, f"sys{k}").to_csv(root / f"sys{k}" / f"{session}.csv", sep=";", index=False)
        rows.append({"session": session, "speaker": f"p{i}", "group": f"conv{i // 2}", "labels": f"labels/{session}.csv"})
    pd.DataFrame(rows).to_csv(root / "manifest.csv", index=False)


@pytest.mark.slow
def test_labels_and_predictions_only_dataset_runs_the_late_fusion(tmp_path):
    write_dataset(tmp_path)
    manifest = build_manifest("mine", {"adapter": "csv", "options": {"path": str(tmp_path / "manifest.csv")}}).table
    assert manifest["session"].tolist() == [f"{i:02d}" for i in range(8)] and set(manifest["label_kind"]) == {"continuous"}
    cfg = demo_config()
    cfg["datasets"]["mine"] = {"adapter": "csv", "options": {"path": str(tmp_path / "manifest.csv")}, "dimensions": DIMS,
                               "fusions": ["mine_late"]}
    cfg["fusions"]["mine_late"] = {
        "modalities": {"a": [{"avec": str(tmp_path / "sys0")}], "b": [{"avec": str(tmp_path / "sys1")}]},
        "models": ["mean", "best_input", "knn"], "trials": 2, "folds": 4, "combinations": "each",
        "unit": {"kind": "rolling", "length_s": 2.0, "hop_s": 1.0, "label_shift_s": [0.0, 1.0]}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(tmp_path, "--cores", "2", "results/tables/mine/fusion_mine_late_table1.csv")
    grid = pd.read_parquet(tmp_path / "results/labels/mine/00.parquet")
    assert len(grid) == 120 and grid["label_valid"].all()  # 12 s of labels, no media
    shift = json.loads((tmp_path / "results/fusion/mine/mine_late/label_shift.json").read_text())
    assert shift["mode"] == "nested" and sorted(g for f in shift["folds"] for g in f["held_out"]) == [f"conv{i}" for i in range(4)]
    table = pd.read_csv(tmp_path / "results/tables/mine/fusion_mine_late_table1.csv").set_index("modalities")
    print(table)
    assert list(table.index) == ["a", "b", "a+b", "best single input"]
    assert table.loc["a+b", "arousal_ccc"] > table.loc["best single input", "arousal_ccc"] - 0.05 > 0.6
    info = json.loads((tmp_path / "results/fusion/mine/mine_late/a+b/training.json").read_text())
    assert info["split"] == "nested group-disjoint CV" and info["held_out_exact_matches"] == 0
    caption = (tmp_path / "results/tables/mine/fusion_mine_late_table1.md").read_text()
    assert "Left out: a: 0 of 88 rows without a usable target" in caption


def test_clip_level_continuous_labels_in_a_csv_manifest(tmp_path):
    pd.DataFrame({"session": ["01", "02", "03", "04"], "speaker": ["x", "y", "z", "w"], "arousal": ["0.7", "0.2", "high", ""],
                  "valence": ["0.1", "0.9", "0.5", ""], "emotion": ["", "", "", "happy"],
                  "audio": ["", "", "", "a.wav"]}).to_csv(tmp_path / "m.csv", index=False)
    m = build_manifest("clips", {"adapter": "csv", "options": {"path": str(tmp_path / "m.csv")}}).table
    assert m["session"].tolist() == ["01", "02", "03", "04"] and m["label_kind"].tolist() == ["clip", "clip", "clip", "categorical"]
    row = m.iloc[0].to_dict()
    table = labels_mod.clip_grid(row["session"], labels_mod.clip_values(row, DIMS, "clips 01"), 0.5, 0.1)
    assert len(table) == 5 and np.allclose(table["arousal"], 0.7) and np.allclose(table["valence"], 0.1) and table["label_valid"].all()
    with pytest.raises(labels_mod.LabelError, match=r"clips 03: .*arousal='high'"):
        labels_mod.clip_values(m.iloc[2].to_dict(), DIMS, "clips 03")
    # a categorical session without media has nothing to give its grid a length
    pd.DataFrame({"session": ["01"], "speaker": ["x"], "emotion": ["happy"]}).to_csv(tmp_path / "n.csv", index=False)
    with pytest.raises(ValueError, match=r"sessions with no media, no transcript and no continuous labels \['01'\]"):
        build_manifest("cats", {"adapter": "csv", "options": {"path": str(tmp_path / "n.csv")}})
