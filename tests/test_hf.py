"""labkit.hf on tiny random BERTs: saved to a folder, and served by a local hub; and MiniLM.

The tests named ``*hub*`` download from the local hub of ``tests/hub.py`` (the root
conftest's ``local_hub`` fixture), or find it unreachable.
"""
import dataclasses
import os
import socket
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from labkit import hf, settings
from labkit.checkpoints import evaluate_checkpoint
from labkit.hf.__main__ import main
from tests.hub import LABEL_IDS, NEGNEUPOS, POSNEG, LocalHub, TestRepo, build_test_repos

MR_LABELS = ["negative", "positive"]
SEMEVAL_LABELS = ["negative", "neutral", "positive"]


def toy_reviews(n=48, seed=0):
    """Sentences whose label is told by one word: something a tiny model can learn."""
    rng = np.random.default_rng(seed)
    filler = ["the", "film", "plot", "actors", "was", "really", "story", "and", "a", "this"]
    rows = []
    for i in range(n):
        label = MR_LABELS[i % 2]
        cue = "wonderful" if label == "positive" else "awful"
        words = list(rng.choice(filler, size=5)) + [cue]
        rng.shuffle(words)
        rows.append({"text": " ".join(words), "label": label})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    """A 2-layer BERT with random weights and MiniLM's tokenizer, saved as a local model."""
    repo = TestRepo("local/tiny-bert", {0: "NEGATIVE", 1: "POSITIVE"})
    return build_test_repos(tmp_path_factory.mktemp("models"), [repo]) / repo.name


@pytest.fixture
def unreachable_hub(monkeypatch):
    """HF_ENDPOINT pointing at a closed port on this machine."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


# ---------------------------------------------------------------- import, progress bars, command line

def run_python(*args):
    """Run a fresh Python (labkit not yet imported) from the repository root."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.run([sys.executable, *args], cwd=root, capture_output=True, text=True,
                          check=True)


def test_importing_labkit_hf_leaves_progress_bar_settings_unchanged():
    code = ("from huggingface_hub.utils import are_progress_bars_disabled\n"
            "from transformers.utils import logging\n"
            "before = logging.is_progress_bar_enabled(), are_progress_bars_disabled()\n"
            "import labkit.hf\n"
            "print(before == (logging.is_progress_bar_enabled(), are_progress_bars_disabled()))")
    assert run_python("-c", code).stdout.strip() == "True"


def test_progress_bars_follow_labkit_quiet_and_are_restored(tiny_model_dir, monkeypatch):
    from huggingface_hub.utils import are_progress_bars_disabled
    from transformers.utils import logging

    monkeypatch.setenv("LABKIT_QUIET", "1")
    with hf.progress_bars():
        assert not logging.is_progress_bar_enabled() and are_progress_bars_disabled()
    monkeypatch.delenv("LABKIT_QUIET")
    before = logging.is_progress_bar_enabled(), are_progress_bars_disabled()
    with hf.progress_bars():
        assert (logging.is_progress_bar_enabled(), are_progress_bars_disabled()) == before
    hf.load_classifier(str(tiny_model_dir), progress=False)
    assert (logging.is_progress_bar_enabled(), are_progress_bars_disabled()) == before


def test_command_line_runs_as_a_module():
    result = run_python("-m", "labkit.hf", "--help")
    for option in ["--dataset", "--model", "--method", "--epochs", "--lr", "--batch-size",
                   "--max-length", "--train-size", "--seed", "--output", "--notebook"]:
        assert option in result.stdout
    assert "Warning" not in result.stderr


# ---------------------------------------------------------------- splits

def test_text_splits_are_named_and_frozen():
    splits = hf.text_splits("mr", seed=0, train_size=100, val_size=20, test_size=30)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (100, 20, 30)
    assert splits.labels == MR_LABELS
    for df in (splits.train, splits.val, splits.test):
        assert {"text", "label"} <= set(df.columns) and df.index.tolist() == list(range(len(df)))
        assert set(df.label) == set(MR_LABELS)
    assert repr(splits) == ("TextSplits(train=100 rows, val=20 rows, test=30 rows, "
                            "labels=['negative', 'positive'])")
    with pytest.raises(dataclasses.FrozenInstanceError):
        splits.test = splits.val
    again = hf.text_splits("mr", seed=0, train_size=100, val_size=20, test_size=30)
    pd.testing.assert_frame_equal(splits.train, again.train)


# ---------------------------------------------------------------- label mapping

def test_label_mapping_binary_model_on_three_classes_never_predicts_neutral():
    mapping = hf.label_mapping({0: "NEGATIVE", 1: "POSITIVE"}, SEMEVAL_LABELS)
    assert mapping == {0: "negative", 1: "positive"}
    probs = hf.map_probabilities(np.array([[0.9, 0.1], [0.3, 0.7]]), mapping, SEMEVAL_LABELS)
    np.testing.assert_allclose(probs, [[0.9, 0, 0.1], [0.3, 0, 0.7]])
    text = hf.describe_mapping({0: "NEGATIVE", 1: "POSITIVE"}, mapping, SEMEVAL_LABELS)
    assert "'neutral' is never predicted" in text


def test_label_mapping_three_class_model_in_its_own_order():
    mapping = hf.label_mapping({0: "positive", 1: "Negative", 2: "neu"}, SEMEVAL_LABELS)
    assert mapping == {0: "positive", 1: "negative", 2: "neutral"}
    probs = hf.map_probabilities(np.array([[0.5, 0.2, 0.3]]), mapping, SEMEVAL_LABELS)
    np.testing.assert_allclose(probs, [[0.2, 0.3, 0.5]])


def test_label_mapping_needs_names_for_anonymous_classes():
    with pytest.raises(ValueError, match="label_names"):
        hf.label_mapping({0: "LABEL_0", 1: "LABEL_1"}, MR_LABELS)
    assert hf.label_mapping({0: "LABEL_0", 1: "LABEL_1"}, MR_LABELS,
                            label_names=("negative", "positive")) == {0: "negative", 1: "positive"}
    with pytest.raises(ValueError, match="3 names for 2"):
        hf.label_mapping(["LABEL_0", "LABEL_1"], MR_LABELS, label_names=SEMEVAL_LABELS)


# ---------------------------------------------------------------- the hub, reachable or not

def test_hub_unreachable_is_detected_quickly(unreachable_hub):
    assert hf.hub_reachable(timeout=2) is False
    with pytest.raises(hf.ModelUnavailable, match="cannot be reached"):
        hf.resolve_model("distilbert-base-uncased-finetuned-sst-2-english")


def test_hub_reachable_at_the_local_hub_and_not_once_it_stops(local_hub, monkeypatch):
    assert hf.hub_reachable(timeout=2) is True
    stopped = LocalHub(local_hub.root)
    stopped.close()
    monkeypatch.setenv("HF_ENDPOINT", stopped.url)
    assert hf.hub_reachable(timeout=2) is False
    monkeypatch.setenv("HF_ENDPOINT", local_hub.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hf.hub_reachable(timeout=2) is False


def test_evaluate_pretrained_skips_hub_models_in_one_line(unreachable_hub, tiny_model_dir, capsys):
    test_df = toy_reviews(20, seed=1)
    table = hf.evaluate_pretrained(
        [hf.HubModel("siebert/sentiment-roberta-large-english"), str(tiny_model_dir)], test_df,
        MR_LABELS, dataset="mr", notebook="test", log=False)
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["skipped siebert/sentiment-roberta-large-english: "
                   "the Hugging Face hub cannot be reached from here"]
    assert table.model.tolist() == [str(tiny_model_dir)]
    assert 0 <= table.accuracy.iloc[0] <= 1
    assert table["label mapping"].iloc[0] == "NEGATIVE->negative, POSITIVE->positive"


def test_classify_keeps_text_order_and_matches_the_model(tiny_model_dir):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    texts = ["a", "the film was really wonderful and the story too", "awful plot", "this"]
    probs, pred, _ = hf.classify(hf.load_classifier(str(tiny_model_dir)), texts, MR_LABELS,
                                 batch_size=2)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir).eval()
    for i, text in enumerate(texts):
        with torch.no_grad():
            alone = torch.softmax(model(**tokenizer(text, return_tensors="pt")).logits, -1)[0]
        np.testing.assert_allclose(probs[i], alone.numpy(), atol=1e-5)
    assert (pred == probs.argmax(1)).all()


def toy_tweets(n=40, seed=0):
    """Tweets with labels in unequal shares (1/2 negative, 1/3 neutral, 1/6 positive)."""
    rng = np.random.default_rng(seed)
    words = ["so", "the", "game", "today", "love", "hate", "news", "lol", "new", "phone", "rain"]
    labels = ["negative", "negative", "negative", "neutral", "neutral", "positive"]
    return pd.DataFrame({"text": [" ".join(rng.choice(words, size=6)) for _ in range(n)],
                         "label": [labels[i % 6] for i in range(n)]})


def expected_metrics(repo_id, texts, y_true, mapping):
    """Accuracy and macro recall of the model's own argmax, mapped by hand to the labels."""
    from sklearn.metrics import accuracy_score, recall_score
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(repo_id)
    model = AutoModelForSequenceClassification.from_pretrained(repo_id).eval()
    with torch.no_grad():
        classes = [model(**tokenizer(t, return_tensors="pt")).logits.argmax().item() for t in texts]
    y_pred = [mapping[c] for c in classes]
    return accuracy_score(y_true, y_pred), recall_score(y_true, y_pred, average="macro",
                                                         labels=SEMEVAL_LABELS, zero_division=0)


def test_hub_models_variable_names_each_dataset_its_models(local_hub, monkeypatch):
    monkeypatch.setenv("LABKIT_HUB_MODELS", local_hub.hub_models())
    names = settings.env("LABKIT_HUB_MODELS", [])
    assert [m.name for m in hf.hub_models("mr", names)] == [POSNEG.name]
    models = hf.hub_models("semeval2017a", names)
    assert [(m.name, m.label_names) for m in models] == [
        (POSNEG.name, None), (LABEL_IDS.name, ("positive", "negative", "neutral")),
        (NEGNEUPOS.name, None)]
    assert hf.hub_models("mr", []) == hf.PRETRAINED["mr"]


def test_evaluate_pretrained_maps_three_hub_label_conventions(local_hub, capsys):
    test_df = toy_tweets(60)
    models = hf.hub_models("semeval2017a", local_hub.hub_models().split(","))
    table = hf.evaluate_pretrained(models, test_df, SEMEVAL_LABELS, dataset="semeval2017a",
                                   notebook="test", log=False, batch_size=8)
    assert capsys.readouterr().out == ""
    assert table.model.tolist() == [POSNEG.name, LABEL_IDS.name, NEGNEUPOS.name]
    assert table["label mapping"].tolist() == [
        "NEGATIVE->negative, POSITIVE->positive; 'neutral' is never predicted",
        "LABEL_0->positive, LABEL_1->negative, LABEL_2->neutral",
        "negative->negative, neutral->neutral, positive->positive"]
    mappings = [{0: "negative", 1: "positive"}, {0: "positive", 1: "negative", 2: "neutral"},
                {0: "negative", 1: "neutral", 2: "positive"}]
    for (_, row), mapping in zip(table.iterrows(), mappings):
        accuracy, recall = expected_metrics(row.model, test_df.text, test_df.label, mapping)
        assert (row.accuracy, row.macro_recall) == pytest.approx((accuracy, recall))
    cache = os.environ["HF_HUB_CACHE"]
    assert {f"models--labkit-test--{m.name.split('/')[1]}" for m in models} <= set(os.listdir(cache))


def test_missing_hub_repo_is_skipped_in_one_line(local_hub, tmp_path, capsys):
    table = hf.evaluate_pretrained(["labkit-test/no-such-model"], toy_reviews(4), MR_LABELS,
                                   dataset="mr", notebook="test", log=False)
    out = capsys.readouterr().out.splitlines()
    assert len(table) == 0 and len(out) == 1
    assert out[0].startswith("skipped labkit-test/no-such-model: ")
    with pytest.raises(hf.ModelUnavailable, match="^labkit-test/no-such-model: "):
        hf.fine_tune("labkit-test/no-such-model", toy_reviews(4), toy_reviews(4), MR_LABELS,
                     output_dir=tmp_path)


def test_run_fine_tuning_starts_from_a_hub_id(local_hub, tmp_path, monkeypatch):
    df = toy_reviews(32)
    monkeypatch.setenv("LABKIT_RUNS", str(tmp_path / "runs.jsonl"))
    result = hf.run_fine_tuning("mr", NEGNEUPOS.name, df[:20], df[20:26], df[26:], MR_LABELS,
                                notebook="test", output_dir=tmp_path / "out", epochs=1,
                                batch_size=8, progress=False)
    assert f"models--labkit-test--{NEGNEUPOS.name.split('/')[1]}" in os.listdir(os.environ["HF_HUB_CACHE"])
    assert result["name"] == "tiny-bert-negneupos fine-tuned (full)"
    assert len(result["fine_tuned"].history) == 1
    saved = hf.load_classifier(str(tmp_path / "out" / "model"))
    assert saved.model.config.id2label == {0: "negative", 1: "positive"}   # a new 2-class head
    assert f'"base_model": "{NEGNEUPOS.name}"' in (tmp_path / "runs.jsonl").read_text()


# ---------------------------------------------------------------- fine-tuning

@pytest.fixture(scope="module")
def tuned(tiny_model_dir, tmp_path_factory):
    df = toy_reviews(48)
    return hf.fine_tune(str(tiny_model_dir), df[:40], df[40:], MR_LABELS,
                        output_dir=tmp_path_factory.mktemp("tuned"), epochs=6, lr=1e-2,
                        batch_size=4, patience=10, seed=0, progress=False)


def test_tiny_fine_tuning_lowers_the_training_loss(tuned):
    losses = [record["train_loss"] for record in tuned.history]
    assert len(losses) == 6
    assert losses[-1] < 0.8 * losses[0]
    assert tuned.best_epoch == min(tuned.history, key=lambda r: r["val_loss"])["epoch"]


def test_saved_model_loads_through_the_pipeline_with_the_same_predictions(tuned):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    df = toy_reviews(16, seed=2)
    classifier = hf.load_classifier(str(tuned.path))
    assert classifier.model.config.id2label == {0: "negative", 1: "positive"}
    probs, pred, mapping = hf.classify(classifier, df.text, MR_LABELS)
    assert mapping == "negative->negative, positive->positive"
    tokenizer = AutoTokenizer.from_pretrained(tuned.path)
    model = AutoModelForSequenceClassification.from_pretrained(tuned.path).eval()
    with torch.no_grad():
        direct = torch.softmax(model(**tokenizer(list(df.text), padding=True,
                                                 return_tensors="pt")).logits, -1)
    np.testing.assert_allclose(probs, direct.numpy(), atol=1e-5)
    assert (pred == direct.argmax(-1).numpy()).all()


@pytest.mark.parametrize("method", ["head", "lora"])
def test_parameter_efficient_methods_train_few_weights_and_save_a_plain_model(
        method, tiny_model_dir, tmp_path):
    df = toy_reviews(24)
    tuned = hf.fine_tune(str(tiny_model_dir), df[:16], df[16:], MR_LABELS, output_dir=tmp_path,
                         method=method, epochs=1, batch_size=8, progress=False)
    assert 0 < tuned.n_trainable < 0.2 * tuned.n_params
    probs, _, _ = hf.classify(hf.load_classifier(str(tuned.path)), df.text, MR_LABELS)
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)


def test_run_fine_tuning_logs_test_metrics(tiny_model_dir, tmp_path, monkeypatch):
    df = toy_reviews(32)
    registry = tmp_path / "runs.jsonl"
    monkeypatch.setenv("LABKIT_RUNS", str(registry))
    result = hf.run_fine_tuning("mr", str(tiny_model_dir), df[:20], df[20:26], df[26:],
                                MR_LABELS, notebook="test", output_dir=tmp_path / "out",
                                epochs=1, batch_size=8, progress=False)
    assert result["probs"].shape == (6, 2)
    assert registry.read_text().count("\n") == 1 and '"method": "full"' in registry.read_text()


def test_a_fine_tuned_model_is_not_run_twice_over_its_test_set(tiny_model_dir, tmp_path, monkeypatch):
    df = toy_reviews(32)
    monkeypatch.setenv("LABKIT_RUNS", str(tmp_path / "runs.jsonl"))
    result = hf.run_fine_tuning("mr", str(tiny_model_dir), df[:20], df[20:26], df[26:], MR_LABELS,
                                notebook="test", output_dir=tmp_path / "out", epochs=1, batch_size=8,
                                max_length=32, progress=False)
    folder, test = result["fine_tuned"].path, df[26:]
    kept = hf.saved_predictions(folder, test.text, 32)
    np.testing.assert_allclose(kept, result["probs"])
    assert hf.saved_predictions(folder, test.text, 64) is None                 # another cut
    assert hf.saved_predictions(folder, test.text[::-1], 32) is None           # other order
    fresh = hf.classify(hf.load_classifier(str(folder)), test.text, MR_LABELS, max_length=32)[0]
    np.testing.assert_allclose(kept, fresh, rtol=1e-5)
    # evaluate_checkpoint reads the kept predictions: a doctored file shows they were used
    hf.save_predictions(folder, test.text, 32, np.tile([1.0, 0.0], (len(test), 1)))
    assert (evaluate_checkpoint(folder, test, max_length=32).pred == 0).all()
    assert evaluate_checkpoint(folder, test, max_length=16).probs == pytest.approx(
        hf.classify(hf.load_classifier(str(folder)), test.text, MR_LABELS, max_length=16)[0], rel=1e-5)


def test_command_line_fine_tunes_tests_and_logs(tiny_model_dir, tmp_path, monkeypatch, capsys):
    registry = tmp_path / "runs.jsonl"
    monkeypatch.setenv("LABKIT_RUNS", str(registry))
    main(["--dataset", "mr", "--model", str(tiny_model_dir), "--epochs", "1", "--train-size", "40",
             "--max-length", "32", "--output", str(tmp_path / "out")])
    assert f"{tiny_model_dir.name} fine-tuned (full) on mr: accuracy" in capsys.readouterr().out
    assert (tmp_path / "out" / "mr" / f"{tiny_model_dir.name}-full" / "model" / "config.json").is_file()
    assert '"notebook": "cli"' in registry.read_text() and '"train_size": 40' in registry.read_text()


def test_unknown_method_is_refused(tiny_model_dir, tmp_path):
    with pytest.raises(ValueError, match="method"):
        hf.fine_tune(str(tiny_model_dir), toy_reviews(4), toy_reviews(4), MR_LABELS,
                     output_dir=tmp_path, method="adapters")


# ---------------------------------------------------------------- MiniLM without task training

def test_packaged_minilm_gives_unit_vectors_that_ignore_batch_company():
    texts = ["a wonderful, moving film", "the worst movie of the year", "ok"]
    together = hf.sentence_embeddings(texts, "minilm", batch_size=3)
    alone = np.stack([hf.sentence_embeddings([t], "minilm")[0] for t in texts])
    assert together.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(together, alone, atol=1e-5)   # padding is masked out of the mean


def test_fit_probe_picks_c_on_validation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    y = (x[:, 0] > 0).astype(int)
    model, scores = hf.fit_probe(x[:150], y[:150], x[150:], y[150:], Cs=(0.001, 1.0))
    assert scores.val_accuracy.max() == model.score(x[150:], y[150:]) > 0.9
