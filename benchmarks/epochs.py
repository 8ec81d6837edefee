"""Seconds per training epoch of every model family on MR and SemEval, on labkit's device.

    LABKIT_DATA_DIR=../shared/data python benchmarks/epochs.py [--fast] [--epochs 3]
                                                             [--datasets mr semeval2017a]

Each model is built as the notebooks build it (the defaults, frozen GloVe 50d, the
task's ``max_length`` for the attention models) and trained with :func:`labkit.training.fit`
for ``--epochs`` epochs without early stopping, on ``task.loaders(batch_size=128)``:
exact-length batches for the recurrent models (as notebook 02 trains them), labkit's
default length buckets for the others. An epoch is what a student waits for: one pass
over the training set and one over the validation set. Its time is
``FitResult.seconds / epochs``, the first epoch (warm-up) included.

The device is :func:`labkit.settings.pick_device` (``LABKIT_DEVICE`` chooses another).
The table gives seconds per epoch and, in brackets, the ratio to BaselineDNN on the same
dataset; compare ratios across machines, not seconds. ``--fast`` uses the notebooks' fast
subsets (2,000 training sentences) and 2 epochs: a quick check that everything runs.
One torch thread by default, as in ``benchmarks/packing.py``.
"""
from __future__ import annotations

import argparse

import torch

from labkit.models import (LSTM, BaselineDNN, MultiHeadAttentionModel,
                           SimpleSelfAttentionModel, TransformerEncoderModel)
from labkit.pipeline import prepare_task
from labkit.settings import device_name, pick_device
from labkit.training import fit, set_seed

# name -> (builder of a model for a task, whether it is recurrent)
MODELS = {
    "BaselineDNN mean|max": (lambda t: BaselineDNN(
        len(t.labels), t.embeddings, pooling="mean_max"), False),
    "LSTM": (lambda t: LSTM(len(t.labels), t.embeddings), True),
    "BiLSTM": (lambda t: LSTM(len(t.labels), t.embeddings, bidirectional=True), True),
    "SimpleSelfAttention": (lambda t: SimpleSelfAttentionModel(
        len(t.labels), t.embeddings, max_length=t.max_length), False),
    "MultiHeadAttention": (lambda t: MultiHeadAttentionModel(
        len(t.labels), t.embeddings, max_length=t.max_length), False),
    "TransformerEncoder": (lambda t: TransformerEncoderModel(
        len(t.labels), t.embeddings, max_length=t.max_length), False),
}


def epoch_seconds(task, build, recurrent: bool, epochs: int, device) -> float:
    set_seed(0)
    model = build(task)
    train_loader, val_loader = task.loaders(batch_size=128, seed=0, exact_length=recurrent)
    result = fit(model, train_loader, val_loader, labels=task.labels, epochs=epochs,
                 patience=None, device=device, progress=False)
    return result.seconds / result.epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fast subsets and 2 epochs")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per model (default 3; 2 with --fast)")
    parser.add_argument("--datasets", nargs="+", default=["mr", "semeval2017a"])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads; 0 = torch's default")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    epochs = args.epochs or (2 if args.fast else 3)
    device = pick_device()
    print(f"device {device_name(device)}, torch threads {torch.get_num_threads()}, "
          f"{epochs} epochs per model, batch 128{', fast subsets' if args.fast else ''}", flush=True)

    seconds = {}
    for dataset in args.datasets:
        task = prepare_task(dataset, fast=args.fast)
        print(f"{dataset}: {len(task.train):,} training, {len(task.val):,} validation sentences, "
              f"max_length {task.max_length}", flush=True)
        for name, (build, recurrent) in MODELS.items():
            seconds[name, dataset] = epoch_seconds(task, build, recurrent, epochs, device)
            print(f"  {name:<22} {seconds[name, dataset]:7.2f} s/epoch", flush=True)

    baseline = next(iter(MODELS))
    print(f"\nseconds per epoch (ratio to {baseline}) on {device_name(device)}")
    print(f"{'model':<22}" + "".join(f"{d:>20}" for d in args.datasets))
    for name in MODELS:
        cells = [f"{seconds[name, d]:.2f} ({seconds[name, d] / seconds[baseline, d]:.1f}x)"
                 for d in args.datasets]
        print(f"{name:<22}" + "".join(f"{c:>20}" for c in cells))


if __name__ == "__main__":
    main()
