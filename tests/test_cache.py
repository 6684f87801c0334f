"""Between-workflow output cache: a second project over the same corpus gets the per-session
features from SNAKEMAKE_OUTPUT_CACHE instead of extracting them again."""
import pandas as pd
import pytest
import yaml
from conftest import SMALL_DEMO, skeleton_config, snakemake

pytestmark = pytest.mark.slow

FEATURES = [f"results/features/demo/{ex}/demo01.parquet" for ex in ("egemaps_lld", "egemaps_func")]


def test_second_project_takes_the_extracted_features_from_the_cache(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {"SNAKEMAKE_OUTPUT_CACHE": str(cache)}
    projects = []
    for name in ("project_a", "project_b"):
        work = tmp_path / name
        work.mkdir()
        (work / "config.yaml").write_text(yaml.safe_dump(skeleton_config(**SMALL_DEMO)))
        # targets before --cache: it takes rule names
        projects.append((work, snakemake(work, *FEATURES, "--cores", "2", "--cache", env=env).stdout))
    (a, a_out), (b, b_out) = projects

    stored = sorted(cache.iterdir())
    assert len(stored) == len(FEATURES)  # one entry per (extractor, session), keyed by provenance hash
    extracted = "affectflow.extractors.base: wrote"  # the extractor's own log line
    assert a_out.count(extracted) == len(FEATURES) and b_out.count(extracted) == 0
    for rel in FEATURES:
        assert f"Symlinking output file {rel} from cache" in b_out
        assert (b / rel).is_symlink() and (b / rel).resolve().parent == cache.resolve()
        pd.testing.assert_frame_equal(pd.read_parquet(b / rel), pd.read_parquet(a / rel))
