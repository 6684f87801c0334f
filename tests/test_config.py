import copy
from pathlib import Path

import pytest
import yaml

from affectflow import config

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
])
def test_bad_config_is_refused_with_the_key_named(cfg, edit, message):
    edit(cfg)
    with pytest.raises(config.ConfigError) as err:
        config.validate(cfg)
    assert message.split(": ")[-1] in str(err.value)
