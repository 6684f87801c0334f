"""`snakemake --report`: the tables and plots of a finished run, one category per paper."""
import json
import re
import shutil

import pytest
from conftest import snakemake

from affectflow.evaluation import report_categories


def test_model_categories_are_papers_or_baselines():
    assert report_categories.category_of_model("ridge_egemaps", {"kind": "ridge"}) == report_categories.BASELINES
    assert report_categories.category_of_model("jmt_affwild2", {"kind": "jmt"}) == report_categories.PAPERS["waligora"]
    assert report_categories.category_of_model("lucas_av", {"kind": "dlstm_av"}) == report_categories.PAPERS["lucas"]
    assert report_categories.category_of_model("t", {"kind": "attention_fusion"}) == report_categories.PAPERS["tzirakis"]
    # every model kind the workflow knows has a category: a paper, or the baselines for ridge
    from affectflow.models import FRAME_KINDS, FOLD_KINDS, SEQUENCE_KINDS
    assert set(report_categories.PAPER_OF_KIND) == set(SEQUENCE_KINDS) | set(FOLD_KINDS)
    assert not set(FRAME_KINDS) & set(report_categories.PAPER_OF_KIND)
    with pytest.raises(KeyError, match="model 'x': unknown paper 'nobody'"):
        report_categories.category_of_model("x", {"kind": "ridge", "paper": "nobody"})


@pytest.mark.slow
def test_report_holds_the_tables_and_plots_by_category(small_demo_run, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(small_demo_run, work, symlinks=True)
    snakemake(work, "--report", "results/report.html")
    page = (work / "results/report.html").read_text()
    categories = json.loads(re.search(r"var categories = (\{.*?\});\n", page).group(1))
    assert categories == {
        "All models": {"demo": ["results/tables/demo/models.html", "results/plots/demo/models_test_ccc.png"]},
        "Baselines": {"demo": ["results/plots/demo/ridge_egemaps_test_traces.png"]},
    }
    # items are embedded (data URIs): the page opens without the results folder
    assert sorted(re.findall(r"data:(image/png|text/html);charset=utf8;filename=([\w.]+)", page)) == [
        ("image/png", "models_test_ccc.png"), ("image/png", "ridge_egemaps_test_traces.png"), ("text/html", "models.html")]
