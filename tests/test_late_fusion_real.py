"""Late fusion on real data: EmoDB speech (three eGeMAPS feature groups) and EmoBank text (three
text representations, real V/A/D ratings).

EmoDB has no rated dimensions; the targets are approximate circumplex positions of the acted
categories (``EMOTION_TARGETS``), so CCC there measures how well each feature group orders the
clips along arousal and valence — a run of the real pipeline on real media, not a benchmark.
"""
from pathlib import Path

import pandas as pd
import pytest

from affectflow import datasets, extractors
from affectflow.core import labels, media, store
from affectflow.models.late_fusion import combinations, pipeline, report
from conftest import shared_data

EGEMAPS_CLIP = {"kind": "opensmile", "feature_set": "eGeMAPSv02", "level": "functionals", "window_s": None}
EMOTION_TARGETS = {  # approximate positions on Russell's circumplex, scaled to [0, 1]
    "anger": {"arousal": 0.85, "valence": 0.15}, "fear": {"arousal": 0.80, "valence": 0.20},
    "happiness": {"arousal": 0.75, "valence": 0.85}, "disgust": {"arousal": 0.55, "valence": 0.20},
    "neutral": {"arousal": 0.40, "valence": 0.55}, "boredom": {"arousal": 0.20, "valence": 0.40},
    "sadness": {"arousal": 0.25, "valence": 0.20},
}
FEATURE_GROUPS = {  # eGeMAPS functionals by the kind of cue they carry
    "prosody": [{"store": "egemaps_clip", "match": r"^(F0semitone|loudness|VoicedSegments|MeanVoicedSegment|MeanUnvoiced|StddevUnvoiced|StddevVoiced)"}],
    "voice_quality": [{"store": "egemaps_clip", "match": r"^(jitter|shimmer|HNR|logRelF0)"}],
    "spectral": [{"store": "egemaps_clip", "match": r"^(mfcc|spectralFlux|slope|alpha|hammarberg|F[123](frequency|bandwidth|amplitude))"}],
}
DIMS = ["arousal", "valence"]


def build_emodb_store(root: Path, per_speaker_emotion: int | None, emotions=None) -> tuple[pd.DataFrame, "inputs.Roots"]:
    """Extract eGeMAPS functionals and categorical labels of an EmoDB subset into the store layout."""
    from affectflow.models.late_fusion import inputs
    manifest = datasets.build_manifest("emodb", {"adapter": "emodb", "options": {"root": str(shared_data("emodb"))}}).table
    if emotions:
        manifest = manifest[manifest["emotion"].isin(emotions)]
    if per_speaker_emotion:
        manifest = manifest.groupby(["speaker", "emotion"]).head(per_speaker_emotion)
    roots = inputs.Roots(features=str(root / "features"), labels=str(root / "labels"))
    for row in manifest.itertuples():
        path = store.feature_path(roots.features, "emodb", "egemaps_clip", row.session)
        if not path.exists():
            clip = extractors.SessionMedia(dataset="emodb", session=row.session, video="", audio=row.audio, transcript="")
            extractors.run("egemaps_clip", EGEMAPS_CLIP, clip, 0.1, path)
            table = labels.categorical(row.session, row.emotion, media.probe(row.audio).duration_s)
            store.write(table, Path(roots.labels) / "emodb" / f"{row.session}.parquet", {"emotion": row.emotion})
    return manifest.reset_index(drop=True), roots


@pytest.mark.slow
def test_late_fusion_runs_on_real_emodb_speech_and_writes_table1(tmp_path):
    manifest, roots = build_emodb_store(tmp_path, per_speaker_emotion=1, emotions=["anger", "sadness", "happiness", "neutral", "boredom"])
    assert manifest["speaker"].nunique() == 10 and len(manifest) == 50
    fusion = {"modalities": FEATURE_GROUPS, "models": ["svr", "knn"], "trials": 3, "folds": 5, "standardise": "speaker",
              "emotion_targets": EMOTION_TARGETS}
    combos = combinations.combinations(list(FEATURE_GROUPS))
    scores, infos = {}, {}
    for combo in combos:
        _, scores[combo], infos[combo] = pipeline.run_combination("emodb", manifest, fusion, combo.split("+"), DIMS, roots=roots)
    assert infos["prosody"]["split"] == "nested speaker-disjoint CV" and infos["prosody"]["n_rows"] == 50
    grid = report.grid_table(scores)
    table = report.table1(grid, DIMS, combos)
    report.write_table1(table, DIMS, report.caption("population", infos["prosody"]["split"]), "EmoDB late fusion",
                        tmp_path / "t1.md", tmp_path / "t1.csv", tmp_path / "t1.tex", "tab:emodb")
    print((tmp_path / "t1.md").read_text())
    t = table.set_index("modalities")
    # arousal is what acted speech carries in its prosody (Schuller et al.); chance is 0
    assert t.loc["prosody", "arousal_ccc"] > 0.5
    assert t.loc["prosody+voice_quality+spectral", "arousal_ccc"] > 0.5
    # two models and, in nested CV, the model chosen per outer fold ("selected", what Table 1 shows)
    assert len(grid) == len(combos) * 3 * len(DIMS) and (table["arousal_ccc"].to_numpy() == grid.loc[grid["kind"] == "selected"].query("dimension == 'arousal'")["ccc"].to_numpy()).all()


@pytest.mark.slow
def test_late_fusion_of_three_text_representations_on_emobank_writes_a_vad_table1(tmp_path):
    """Real V/A/D ratings (EmoBank, official splits; tuning folds by source document): VADER, the
    NRC-VAD lexicon and MiniLM sentence embeddings as the modalities, all seven combinations."""
    from affectflow.models.late_fusion import sentences, training
    from affectflow.text import corpora, encoders, lexicons

    corpus = corpora.emobank(shared_data("emobank").parent)
    corpus.table = pd.concat([corpora.subsample(corpus.split("train"), 400), corpora.subsample(corpus.split("dev"), 100),
                              corpora.subsample(corpus.split("test"), 300)], ignore_index=True)
    lexicon = shared_data("text_vad_lexicon_and_fb") / "NRC-VAD-Lexicon.txt"
    table, columns = sentences.sentence_table(corpus, {"vader": lexicons.Vader(), "nrc": lexicons.NrcVad(str(lexicon)),
                                                       "minilm": encoders.TransformerEmbedder("all-MiniLM-L6-v2")})
    dims = corpus.dimensions
    scores, infos = sentences.run(table, columns, dims, ["svr", "knn", "ff_mt"], training.Tuner(trials=3, folds=5))
    combos = combinations.combinations(list(columns))
    assert infos["vader"]["split"].startswith("official partitions") and infos["vader"]["n_rows"] == 800
    grid = report.grid_table(scores)
    t1 = report.table1(grid, dims, combos)
    report.write_table1(t1, dims, report.caption("population", infos["vader"]["split"]), "EmoBank late fusion",
                        tmp_path / "t1.md", tmp_path / "t1.csv", tmp_path / "t1.tex", "tab:emobank")
    report.plot_grid(grid, dims, combos, tmp_path / "grid.png", "EmoBank")
    print((tmp_path / "t1.md").read_text())
    t = t1.set_index("modalities")
    assert list(t.index) == combos and {"valence_ccc", "arousal_ccc", "dominance_ccc"} <= set(t.columns)
    assert r"\multicolumn{3}{c}{Dominance}" in (tmp_path / "t1.tex").read_text()
    # valence is what sentiment lexicons and sentence embeddings carry (EmoBank: r ≈ .5–.7 for such baselines)
    assert t.loc["vader", "valence_ccc"] > 0.3 and t.loc["vader+nrc+minilm", "valence_ccc"] > 0.4
    assert (grid["n"] == 300).all()
