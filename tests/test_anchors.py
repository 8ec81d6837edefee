"""labkit.anchors: the published anchors and the notebooks' runs ranked with them."""
import matplotlib

matplotlib.use("Agg")

import pytest

from labkit import anchors, datasets
from labkit.experiments import log_run


def test_every_anchor_has_a_source_and_says_what_it_compares_with():
    table = anchors.anchors()
    assert len(table) == len(anchors.ANCHORS) and table.source.str.len().min() > 10
    assert set(table.comparability) == {anchors.SAME_TEST_SET, anchors.CV10, anchors.OTHER_SPLIT}
    assert (table.score > 0.5).all() and (table.score < 1).all()
    semeval, mr = table[table.dataset == "semeval2017a"], table[table.dataset == "mr"]
    assert set(semeval.comparability) == {anchors.SAME_TEST_SET} and set(semeval.compare_with) == {"test"}
    assert anchors.SAME_TEST_SET not in set(mr.comparability)   # MR: 10-fold CV or another split
    assert set(mr[mr.comparability == anchors.CV10].compare_with) == {"cv10"}
    assert set(table.metric) <= {"accuracy", "macro_recall", "f1_pn"}


def _log(path, notebook, model, accuracy, val=None, split="test", selected=False, dataset="mr"):
    metrics = {"accuracy": accuracy, "macro_recall": accuracy} if accuracy is not None else {}
    if val is not None:
        metrics["val_accuracy"] = val
    log_run(notebook=notebook, dataset=dataset, model=model, metrics=metrics, config={}, epochs=1,
            seconds=1.0, device="cpu", seed=0, split=split, selected=selected, path=path)


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "runs.jsonl"
    _log(path, "02_lstm", "best on test", 0.80, val=0.70)
    _log(path, "02_lstm", "selected on validation", 0.75, val=0.72, selected=True)
    _log(path, "03_attention", "best on validation", 0.70, val=0.74)
    _log(path, "03_attention", "best on test", 0.72, val=0.71)
    _log(path, "06_zero_shot", "a", 0.60)
    _log(path, "06_zero_shot", "b", 0.65)
    _log(path, "02_lstm", "cv run", 0.78, split="cv10")
    _log(path, "08_tuning", "optuna trial 0", None, split="val")   # validation metrics only
    for model, val_accuracy, val_recall in [("accurate", 0.70, 0.50), ("balanced", 0.65, 0.60)]:
        log_run(notebook="05_enc", dataset="semeval2017a", model=model, metrics={
                "accuracy": 0.6, "macro_recall": 0.55, "val_accuracy": val_accuracy,
                "val_macro_recall": val_recall}, config={}, epochs=1, seconds=1.0, device="cpu", seed=0, path=path)
    return path


def test_notebook_results_prefer_the_selected_run_then_validation_then_test(registry):
    results = anchors.notebook_results(registry, reference=False)
    chosen = {(r.notebook, r.split): (r.model, r.chosen_by) for r in results.itertuples()}
    assert chosen == {("02_lstm", "test"): ("selected on validation", "selected"),
                      ("03_attention", "test"): ("best on validation", "validation"),
                      ("06_zero_shot", "test"): ("b", "test score"),
                      ("02_lstm", "cv10"): ("cv run", "test score"),
                      ("05_enc", "test"): ("balanced", "validation")}      # SemEval: on validation AvgRec
    mr = results[results.dataset == "mr"]
    assert mr.score.tolist() == sorted(mr.score, reverse=True)
    assert set(results.source) == {"this runtime"}


def test_compare_ranks_runs_with_the_anchors_of_the_headline_metric(registry):
    table = anchors.compare(anchors.notebook_results(registry, datasets=["mr"], reference=False))
    published = table[table.kind == "published"]
    assert len(published) == len(anchors.anchors("mr", "accuracy"))
    assert table.score.tolist() == sorted(table.score, reverse=True)
    assert published.comparability.str.startswith(("10-fold CV", "other split")).all()
    assert (table[table.kind == "lab"].comparability == "").all()
    assert set(table[table.kind == "lab"].compare_with) == {"test", "cv10"}
    assert set(published.compare_with.dropna()) == {"cv10"}      # MR's CV anchors go with the CV run
    fig = anchors.plot_comparison(table)
    assert len(fig.axes) == 1 and len(fig.axes[0].get_yticklabels()) == len(table)
    assert anchors.plot_comparison(table.iloc[:0]) is None


def test_headline_metric_is_avgrec_on_semeval():
    assert datasets.headline_metric("semeval2017a") == "macro_recall"
    assert anchors.anchors("semeval2017a", "macro_recall").score.max() == pytest.approx(0.734)
