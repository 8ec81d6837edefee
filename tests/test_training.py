import math

import numpy as np
import pytest
import torch
from sklearn.utils.class_weight import compute_class_weight

from labkit.batching import SentenceDataset, make_loader
from labkit.embeddings import Vocab
from labkit.models import BaselineDNN
from labkit.settings import pick_device
from labkit.schedules import make_scheduler, warmup_cosine, warmup_inverse_sqrt
from labkit.checkpoints import load_checkpoint, save_checkpoint
from labkit.training import EarlyStopper, class_weights, fit, make_optimizer, predict, set_seed

LABELS = ["negative", "positive"]


def toy_data(n=300, seed=0):
    """Sentences of ids 2..21; the label says whether 'good' words (ids 2..6) outnumber 'bad' (7..11)."""
    rng = np.random.default_rng(seed)
    sentences, labels = [], []
    for _ in range(n):
        ids = rng.integers(2, 22, size=rng.integers(1, 12)).tolist()
        good, bad = sum(2 <= i <= 6 for i in ids), sum(7 <= i <= 11 for i in ids)
        if good == bad:
            ids.append(2)
            good += 1
        sentences.append(ids)
        labels.append(int(good > bad))
    return SentenceDataset(sentences, labels)


def toy_embeddings(dim=8, seed=0):
    matrix = np.random.default_rng(seed).normal(size=(22, dim)).astype("float32")
    matrix[0] = 0
    return matrix


def train_once(seed, epochs=3, lr=0.03):
    set_seed(seed)
    model = BaselineDNN(2, toy_embeddings(), trainable_emb=True, hidden_size=16)
    data = toy_data()
    result = fit(model, make_loader(data, 32, shuffle=True, seed=seed), make_loader(toy_data(100, 1), 64),
                 labels=LABELS, epochs=epochs, lr=lr, progress=False, device="cpu")
    return model, result


def test_fit_learns_and_records_each_epoch():
    model, result = train_once(0, epochs=10)
    assert len(result.history) == result.epochs <= 10
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < losses[0]
    assert {"train_loss", "val_loss", "train_accuracy", "val_accuracy", "val_macro_f1", "lr"} <= set(result.history[0])
    test = toy_data(200, 2)
    _, pred = predict(model, test)
    assert (pred == np.array(test.labels)).mean() > 0.8


def test_same_seed_same_metrics_on_cpu():
    _, a = train_once(7)
    _, b = train_once(7)
    _, c = train_once(8)
    assert a.history == [{**h} for h in b.history]
    assert a.history[-1]["val_loss"] != c.history[-1]["val_loss"]


def test_early_stopper_stops_and_restores_best_weights():
    model = torch.nn.Linear(1, 1)
    stopper = EarlyStopper(patience=2)
    for epoch, loss in enumerate([3.0, 1.0, 2.0, 2.5], start=1):
        with torch.no_grad():
            model.weight.fill_(epoch)
        stop = stopper.step(loss, model)
    assert stop and stopper.best_epoch == 2
    stopper.restore(model)
    assert model.weight.item() == 2.0


def test_fit_restores_weights_of_best_validation_epoch():
    set_seed(0)
    model = BaselineDNN(2, toy_embeddings(), trainable_emb=True, hidden_size=16)
    train, val = make_loader(toy_data(), 32, shuffle=True), make_loader(toy_data(100, 1), 64)
    result = fit(model, train, val, labels=LABELS, epochs=40, lr=0.1, patience=2, progress=False,
                 amp=False)
    best = min(h["val_loss"] for h in result.history)
    assert result.history[result.best_epoch - 1]["val_loss"] == best
    criterion = torch.nn.CrossEntropyLoss(reduction="sum")
    device = next(model.parameters()).device                   # fit's device: maybe a GPU
    model.eval()
    with torch.no_grad():
        total = sum(criterion(model(x.to(device), lengths), y.to(device)).item() for x, lengths, y in val)
    assert total / 100 == pytest.approx(best, rel=1e-5)


def toy_model():
    set_seed(0)
    return BaselineDNN(2, toy_embeddings(), hidden_size=16)


def fit_toy(scheduler, epochs=3, **kwargs):
    """10 training batches per epoch, one validation batch; ``optimizer`` may be ``params -> Optimizer``."""
    model = toy_model()
    options = {"optimizer": "sgd", "lr": 0.1, "n_classes": 2, "device": "cpu", **kwargs}
    if callable(options["optimizer"]):
        options["optimizer"] = options["optimizer"](model.parameters())
    return fit(model, make_loader(toy_data(), 32), make_loader(toy_data(50, 1), 64), epochs=epochs,
               patience=None, progress=False, scheduler=scheduler, **options)


@pytest.mark.parametrize("spec, lr", [
    ({"name": "exponential", "gamma": 0.5}, [0.1, 0.05, 0.025]),
    ({"name": "step", "step_size": 2, "gamma": 0.1}, [0.1, 0.1, 0.01]),
    ({"name": "cosine", "T_max": 2}, [0.1, 0.05, 0.0]),
    (lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5), [0.1, 0.05, 0.025]),
])
def test_schedulers_by_name_or_function(spec, lr):
    assert [round(h["lr"], 4) for h in fit_toy(spec).history] == lr


@pytest.mark.parametrize("spec, function", [
    ({"name": "exponential", "gamma": 0.8},
     lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.8)),
    ({"name": "plateau", "factor": 0.5, "patience": 1},
     lambda opt: torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)),
])
def test_scheduler_spec_trains_exactly_like_the_function(spec, function):
    history = fit_toy(spec, epochs=8).history
    assert history == fit_toy(function, epochs=8).history
    assert history[-1]["lr"] < history[0]["lr"]


def test_unknown_names_and_missing_classes_are_explained():
    model = BaselineDNN(2, toy_embeddings(), hidden_size=16)
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("adamax2", model.parameters())
    optimizer = make_optimizer("sgd", model.parameters())
    for bad in [{"name": "cosinus"}, {"gamma": 0.5}]:
        with pytest.raises(ValueError, match="unknown scheduler"):
            make_scheduler(bad, optimizer)
    with pytest.raises(ValueError, match="labels=.*or n_classes"):
        fit(model, make_loader(toy_data(), 32), epochs=1, progress=False)
    with pytest.raises(ValueError, match="n_classes=3"):
        fit(model, make_loader(toy_data(), 32), labels=LABELS, n_classes=3, epochs=1, progress=False)


class RecordingSGD(torch.optim.SGD):
    """SGD that records the learning rate of each of its steps."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.lrs = []

    def step(self, closure=None):
        self.lrs.append(self.param_groups[0]["lr"])
        return super().step(closure)


@pytest.mark.parametrize("spec, closed_form, anchors", [
    ({"name": "warmup_inverse_sqrt", "warmup": 5},
     lambda n: min(n / 5, math.sqrt(5 / n)),
     {5: 0.1, 20: 0.05}),                                     # peak at warm-up; 1/sqrt(step) after
    ({"name": "warmup_cosine", "warmup": 5},                  # total: 3 epochs x 10 batches
     lambda n: n / 5 if n < 5 else 0.5 * (1 + math.cos(math.pi * (n - 5) / 25)),
     {5: 0.1, 30: 0.0}),                                      # peak at warm-up; 0 at the last step
])
def test_warmup_schedules_step_after_every_batch(spec, closed_form, anchors):
    model = toy_model()
    optimizer = RecordingSGD(model.parameters(), lr=0.1)
    history = fit(model, make_loader(toy_data(), 32), n_classes=2, epochs=3, optimizer=optimizer,
                  scheduler=spec, progress=False, device="cpu").history
    lrs = optimizer.lrs                                       # one per optimizer step
    assert lrs == pytest.approx([0.1 * closed_form(n) for n in range(1, 31)], abs=1e-12)
    assert lrs[:5] == pytest.approx([0.02, 0.04, 0.06, 0.08, 0.1])   # a linear rise
    assert max(lrs) == lrs[4]
    assert {n: lrs[n - 1] for n in anchors} == pytest.approx(anchors, abs=1e-12)
    assert [h["lr"] for h in history] == lrs[::10]           # each epoch's first step


def test_warmup_schedules_explain_bad_settings():
    optimizer = make_optimizer("sgd", toy_model().parameters())
    with pytest.raises(ValueError, match="warmup >= 1"):
        warmup_inverse_sqrt(optimizer, warmup=0)
    with pytest.raises(ValueError, match="warmup < total"):
        warmup_cosine(optimizer, warmup=10, total=10)
    with pytest.raises(ValueError, match="needs a 'total'"):
        make_scheduler({"name": "warmup_cosine", "warmup": 10}, optimizer)


def test_optimizer_kwargs_reach_the_optimizer():
    betas = {"betas": [0.9, 0.98], "eps": 1e-9}              # as read back from a JSON record
    adam = make_optimizer("adam", toy_model().parameters(), **betas)
    assert (adam.param_groups[0]["betas"], adam.param_groups[0]["eps"]) == ((0.9, 0.98), 1e-9)
    assert make_optimizer("sgd", toy_model().parameters(), momentum=0.0).param_groups[0]["momentum"] == 0.0
    named = fit_toy(None, optimizer="adam", lr=0.01, optimizer_kwargs=betas).history
    ready = fit_toy(None, optimizer=lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.98), eps=1e-9,
                                                             fused=True)).history
    assert named == ready != fit_toy(None, optimizer="adam", lr=0.01).history


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd"])
def test_fused_optimizers_update_as_the_plain_ones(name):
    fused, plain = toy_model(), toy_model()
    plain.load_state_dict(fused.state_dict())
    optimizers = [make_optimizer(name, fused.parameters(), lr=0.01, weight_decay=0.01),
                  make_optimizer(name, plain.parameters(), lr=0.01, weight_decay=0.01, fused=False)]
    assert [o.defaults["fused"] for o in optimizers] == [True, False]
    x, lengths, y = next(iter(make_loader(toy_data(), 32)))
    for _ in range(20):
        for model, optimizer in zip([fused, plain], optimizers):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x, lengths), y).backward()
            optimizer.step()
    for a, b in zip(fused.parameters(), plain.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    start = toy_model()
    assert any(not torch.equal(a, b) for a, b in zip(fused.parameters(), start.parameters())), "it trained"


def test_class_weights_match_sklearn_balanced():
    y = [0] * 7 + [1] + [2] * 4                               # class 1 has one example
    expected = compute_class_weight("balanced", classes=np.arange(3), y=np.array(y))
    np.testing.assert_array_equal(class_weights(y, 3).numpy(), expected.astype("float32"))
    with pytest.raises(ValueError, match=r"classes \[2\] have no training example"):
        class_weights([0, 1, 1], 3)
    with pytest.raises(ValueError, match="class ids 0..1"):
        class_weights([0, 1, 2], 2)


@pytest.mark.parametrize("options, criterion", [
    ({"class_weight": "balanced"},                            # from the training labels
     lambda: torch.nn.CrossEntropyLoss(weight=class_weights(toy_data().labels, 2))),
    ({"class_weight": [1.0, 3.0]}, lambda: torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 3.0]))),
    ({"label_smoothing": 0.1}, lambda: torch.nn.CrossEntropyLoss(label_smoothing=0.1)),
])
def test_class_weight_and_label_smoothing_reach_the_loss(options, criterion):
    plain = fit_toy(None, epochs=1, lr=0.0).history[0]        # lr 0: the weights stay as initialised
    changed = fit_toy(None, epochs=1, lr=0.0, **options).history[0]
    model = toy_model().eval()
    x, lengths, y = next(iter(make_loader(toy_data(50, 1), 64)))     # the one validation batch
    with torch.no_grad():
        logits = model(x, lengths)
    assert changed["val_loss"] == pytest.approx(criterion()(logits, y).item(), rel=1e-6)  # validation: same loss
    assert plain["val_loss"] == pytest.approx(torch.nn.CrossEntropyLoss()(logits, y).item(), rel=1e-6)
    assert changed["val_loss"] != pytest.approx(plain["val_loss"])
    assert changed["train_loss"] != pytest.approx(plain["train_loss"])


def test_loss_options_explain_bad_settings():
    with pytest.raises(ValueError, match="loss_fn or class_weight"):
        fit_toy(None, loss_fn=torch.nn.CrossEntropyLoss(), label_smoothing=0.1)
    with pytest.raises(ValueError, match="one weight per class"):
        fit_toy(None, class_weight=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="'balanced' or one weight"):
        fit_toy(None, class_weight="balance")
    unlabelled = SentenceDataset([[2, 3], [4]])
    with pytest.raises(ValueError, match="train_loader.dataset.labels"):
        fit(toy_model(), make_loader(unlabelled, 2), n_classes=2, class_weight="balanced", progress=False)
    with pytest.raises(ValueError, match="optimizer name"):
        fit_toy(None, optimizer=lambda p: torch.optim.Adam(p), optimizer_kwargs={"betas": (0.9, 0.98)})


def test_loss_weights_and_warmup_train_on_the_chosen_device():
    """On a GPU machine this runs on CUDA (weights moved to the device, autocast on)."""
    history = fit_toy({"name": "warmup_cosine", "warmup": 5}, device=pick_device(), class_weight="balanced",
                      label_smoothing=0.1).history
    first, second, third = (record["lr"] for record in history)   # lr of steps 1, 11 and 21 of 30
    assert first == pytest.approx(0.02) and second > third > 0


def test_class_names_default_to_indices():
    assert fit_toy(None, epochs=1).history == fit_toy(None, epochs=1, n_classes=None, labels=["0", "1"]).history


def test_predict_keeps_dataset_order():
    model, _ = train_once(0)
    data = toy_data(50, 3)
    probs, pred = predict(model, data)
    for i in [0, 17, 49]:
        x = torch.tensor([data.sentences[i]])
        single = torch.softmax(model(x, torch.tensor([x.size(1)])), -1)[0].detach().numpy()
        np.testing.assert_allclose(probs[i], single, rtol=1e-5, atol=1e-6)
    assert (pred == probs.argmax(1)).all()


def test_checkpoint_round_trip_gives_identical_predictions(tmp_path):
    model, _ = train_once(0)
    vocab = Vocab(["<pad>", "<unk>"] + [f"w{i}" for i in range(2, 22)])
    path = save_checkpoint(tmp_path / "m.pt", model, vocab=vocab, labels=LABELS,
                           model_kwargs={"output_size": 2, "trainable_emb": True, "hidden_size": 16},
                           config={"lr": 1e-3})
    loaded = load_checkpoint(path, device="cpu")
    data = toy_data(80, 4)
    np.testing.assert_array_equal(predict(loaded.model, data)[0], predict(model, data)[0])
    assert loaded.labels == LABELS and loaded.vocab.itos == vocab.itos and loaded.config == {"lr": 1e-3}
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")
