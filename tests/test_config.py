import copy
from pathlib import Path

import pytest
import yaml

from affectflow.core import config

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def cfg():
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_shipped_config_is_valid_and_defaults_are_filled(cfg):
    out = config.validate(copy.deepcopy(cfg))
    assert out["features"]["egemaps_lld"]["sample_rate"] == 16000


@pytest.mark.parametrize("edit,message", [
    (lambda c: c["features"]["egemaps_lld"].update(levle="lld"), "'levle' was unexpected"),
    (lambda c: c.update(sed=1), "'sed' was unexpected"),
    (lambda c: c["datasets"]["demo"].update(hop_s="0.1"), "hop_s: '0.1' is not of type 'number'"),
    (lambda c: c["features"]["egemaps_lld"].update(kind="opensmiles"), "'opensmiles' is not one of"),
    (lambda c: c["datasets"]["demo"]["features"].append("nope"), "'nope' is not defined under features"),
    # wrong types anywhere, adapter options included
    (lambda c: c["datasets"]["demo"]["options"].update(n_sessions="8"), "at datasets/demo/options/n_sessions: '8' is not of type 'integer'"),
    (lambda c: c["datasets"]["demo"]["options"].update(duration_s=-1), "at datasets/demo/options/duration_s: -1 is less than or equal to the minimum of 0"),
    (lambda c: c["datasets"]["demo"].update(dimensions="arousal"), "at datasets/demo/dimensions: 'arousal' is not of type 'array'"),
    (lambda c: c["features"]["egemaps_lld"].update(speech_flag="yes"), "at features/egemaps_lld/speech_flag: 'yes' is not of type 'boolean'"),
    (lambda c: c["models"]["ridge_egemaps"].update(alphas="1.0"), "at models/ridge_egemaps/alphas: '1.0' is not of type 'array'"),
    (lambda c: c["models"]["ridge_egemaps"].update(context_frames=1.5), "at models/ridge_egemaps/context_frames: 1.5 is not of type 'integer'"),
    (lambda c: c.update(seed="0"), "at seed: '0' is not of type 'integer'"),
    (lambda c: c["datasets"].update(x={"adapter": "avec", "options": {"labels_dir": "l"}}), "at datasets/x/options: 'media_dir' is a required property"),
    # a network per dimension where one network is loaded or fused
    (lambda c: c["models"]["lucas_fusion_attention"].update(separate_dimensions=True),
     "models/lucas_fusion_attention/separate_dimensions: a dlstm_fusion fuses its networks' predictions of every dimension"),
    (lambda c: c["models"][c["models"]["lucas_fusion_attention"]["pretrained"][0]].update(separate_dimensions=True),
     "trains a network per dimension (separate_dimensions); 'lucas_fusion_attention' loads one network"),
])
def test_bad_config_is_refused_with_the_key_named(cfg, edit, message):
    edit(cfg)
    with pytest.raises(config.ConfigError) as err:
        config.validate(cfg)
    assert message.split(": ")[-1] in str(err.value)
    if message.startswith("at "):
        assert message in str(err.value)  # the path of the offending key is named


@pytest.mark.parametrize("text", [
    "datasets:\n  mine: {adapter: csv, options: {path: m.csv}}\n",                       # sections left out
    "datasets:\n  mine: {adapter: csv, options: {path: m.csv}, features: , models: }\nfeatures:\nmodels:\n",  # written empty
])
def test_features_and_models_sections_are_optional(text):
    cfg = config.validate(yaml.safe_load(text))
    assert cfg["features"] == {} and cfg["models"] == {}
    assert cfg["datasets"]["mine"]["features"] == [] and cfg["datasets"]["mine"]["models"] == []


def test_schema_errors_are_one_line_per_problem_naming_the_key(cfg):
    del cfg["datasets"]["demo"]["adapter"]
    cfg["datasets"]["demo"]["hop_s"] = "fast"
    cfg["features"]["egemaps_lld"]["level"] = "frames"
    with pytest.raises(config.ConfigError) as err:
        config.validate(cfg)
    lines = str(err.value).splitlines()
    assert lines[0] == "config: invalid configuration"
    assert lines[1:] == ["  at datasets/demo: 'adapter' is a required property",
                         "  at datasets/demo/hop_s: 'fast' is not of type 'number'",
                         "  at features/egemaps_lld/level: 'frames' is not one of ['lld', 'functionals']"]


def test_late_fusion_defaults_are_the_schemas_in_code_too():
    """A fusion run without the schema (tests, benchmarks) gets the same cheap defaults as the rule."""
    from affectflow.models.late_fusion import models, pipeline

    fusion = config.fusion_defaults({"modalities": {"a": [{"avec": "x"}]}, "models": ["knn"]})
    assert {k: fusion[k] for k in pipeline.DEFAULTS} == pipeline.DEFAULTS
    assert fusion["ff"]["epochs"] == models.FF_DEFAULTS["epochs"]
    with pytest.raises(config.ConfigError, match="at max_fit_rows: 0 is less than the minimum of 1"):
        config.fusion_defaults({"modalities": {"a": [{"avec": "x"}]}, "models": ["knn"], "max_fit_rows": 0})
