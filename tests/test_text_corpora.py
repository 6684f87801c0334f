"""The sentence-level text corpora in ../shared/data: sizes, splits and labels as published."""
import pytest

from affectflow.text import corpora
from affectflow.text.evaluation import top1_f1
from conftest import shared_data


@pytest.fixture(scope="module")
def root():
    shared_data("goemotions")
    return shared_data("emobank").parent


@pytest.mark.parametrize("name, sizes, n_classes", [
    ("goemotions", {"train": 43410, "dev": 5426, "test": 5427}, 28),
    ("goemotions_ekman", {"train": 43410, "dev": 5426, "test": 5427}, 7),
    ("meld", {"train": 9989, "dev": 1109, "test": 2610}, 7),
    ("meld_de", {"train": 9989 - 1117, "dev": 1109 - 122, "test": 2610}, 7),  # 'NOT FOUND' alignments dropped
])
def test_official_splits(root, name, sizes, n_classes):
    c = corpora.load(name, root)
    assert c.table["split"].value_counts().to_dict() == sizes and len(c.classes) == n_classes
    assert c.table["labels"].map(lambda t: len(t) >= 1 and set(t) <= set(c.classes)).all()


def test_goemotions_keeps_multi_labels_and_ekman_maps_them(root):
    orig, ekman = corpora.load("goemotions", root), corpora.load("goemotions_ekman", root)
    assert orig.table["labels"].map(len).max() > 1
    assert set(ekman.classes) == {"anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"}
    assert (orig.table["id"] == ekman.table["id"]).all()
    neutral = orig.table["labels"] == ("neutral",)
    assert (ekman.table.loc[neutral, "labels"] == ("neutral",)).all()


def test_german_goemotions_groups_its_per_label_rows(root):
    c = corpora.load("goemotions_de", root)
    assert c.splits == ["dev", "test"] and c.language == "de"  # no train split upstream
    assert c.table["labels"].map(len).max() > 1
    assert 5400 < len(c.split("test")) <= 5427  # back to about the official 5,427 comments


def test_xed_skips_the_metadata_rows_and_splits_deterministically(root):
    de, en = corpora.load("xed_de", root), corpora.load("xed_en", root)
    assert len(de.table) == 5500 and len(en.table) == 17528
    again = corpora.load("xed_de", root)
    assert (again.table["split"] == de.table["split"]).all()
    assert 0.75 < (de.table["split"] == "train").mean() < 0.85


def test_emobank_is_dimensional_with_the_official_split(root):
    c = corpora.load("emobank", root)
    assert c.kind == "dimensional" and c.dimensions == ["valence", "arousal", "dominance"]
    assert c.table["split"].value_counts().to_dict() == {"train": 8062, "dev": 1000, "test": 1000}
    assert c.table[c.dimensions].min().min() >= 1 and c.table[c.dimensions].max().max() <= 5


def test_unknown_corpus_and_missing_files_name_the_problem(tmp_path):
    with pytest.raises(corpora.CorpusError, match="unknown text corpus 'nope'"):
        corpora.load("nope", tmp_path)
    with pytest.raises(corpora.CorpusError, match="corpus file not found: .*emobank.csv"):
        corpora.load("emobank", tmp_path)


def test_top1_micro_f1_against_gold_label_sets():
    classes = ["a", "b", "c"]
    # text 1 has gold {a, b}: predicting a is one true positive and one false negative
    s = top1_f1([("a", "b"), ("c",)], ["a", "b"], classes)
    assert s["micro_f1"] == pytest.approx(2 * 1 / (2 + 3))  # tp=1, fp=1, fn=2
    assert top1_f1([("a",), ("b",)], ["a", "b"], classes)["micro_f1"] == 1.0
