"""Building batches: one tensor per sentence, padded again for every batch, vs cut out of
the dataset padded once (``SentenceDataset.__getitems__``), interleaved in one process.

    LABKIT_DATA_DIR=../shared/data python benchmarks/batches.py [--epochs 3]
                                                              [--datasets mr semeval2017a]

For each dataset: (1) one pass over the training loader alone (batch 128, labkit's length
buckets), both ways, checked to give identical batches; (2) BaselineDNN mean‖max trained
both ways from the same seed, epoch by epoch, interleaved (the order alternates each
epoch), each epoch one pass over the training set and one over the validation set as in
``benchmarks/epochs.py``; the two histories must be identical. Prints the median seconds
and their ratio. One torch thread by default.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.utils.data import DataLoader, Dataset

from labkit.batching import BucketBatchSampler, SentenceDataset, collate
from labkit.models import BaselineDNN
from labkit.pipeline import prepare_task
from labkit.training import fit, make_optimizer, set_seed


class PerSentence(Dataset):
    """The dataset the way labkit served it before: one new tensor per sentence, which
    :func:`collate` pads into a batch (no ``__getitems__``, so the DataLoader asks for
    the sentences one by one)."""

    def __init__(self, dataset: SentenceDataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int):
        return torch.tensor(self.dataset.sentences[i], dtype=torch.long), self.dataset.labels[i]


def loaders(dataset: SentenceDataset, batch_size: int, shuffle: bool, seed: int) -> dict:
    """The same batches both ways: two loaders with equal samplers."""
    def sampler():
        return BucketBatchSampler(dataset.lengths, batch_size, shuffle=shuffle, seed=seed)
    return {"per sentence": DataLoader(PerSentence(dataset), batch_sampler=sampler(), collate_fn=collate),
            "padded once": DataLoader(dataset, batch_sampler=sampler(), collate_fn=collate)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs each way")
    parser.add_argument("--datasets", nargs="+", default=["mr", "semeval2017a"])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads; 0 = torch's default")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    ways = ["per sentence", "padded once"]

    for name in args.datasets:
        task = prepare_task(name, seed=0)
        print(f"{name}: {len(task.train):,} training, {len(task.val):,} validation sentences, "
              f"torch threads {torch.get_num_threads()}", flush=True)

        # (1) the loader alone
        train = loaders(task.train, 128, shuffle=True, seed=0)
        passes, batches = {way: [] for way in ways}, {}
        for epoch in range(args.epochs):
            for way in ways if epoch % 2 == 0 else ways[::-1]:
                start = time.perf_counter()
                batches[way] = list(train[way])
                passes[way].append(time.perf_counter() - start)
            assert all(all(torch.equal(a, b) and a.dtype == b.dtype for a, b in zip(old, new))
                       for old, new in zip(batches["per sentence"], batches["padded once"])), "batches differ"
        # (2) training epochs of BaselineDNN mean‖max, same seed both ways
        runs = {}
        for way in ways:
            set_seed(0)
            model = BaselineDNN(len(task.labels), task.embeddings, pooling="mean_max")
            runs[way] = (model, make_optimizer("adam", model.parameters()),
                         loaders(task.train, 128, shuffle=True, seed=0)[way],
                         loaders(task.val, 256, shuffle=False, seed=0)[way], [], [])
        for epoch in range(args.epochs):
            for way in ways if epoch % 2 == 0 else ways[::-1]:
                model, optimizer, train_loader, val_loader, history, seconds = runs[way]
                result = fit(model, train_loader, val_loader, labels=task.labels, epochs=1,
                             optimizer=optimizer, patience=None, device="cpu", progress=False)
                seconds.append(result.seconds)
                history.append({k: v for k, v in result.history[0].items() if k != "epoch"})
        assert runs["per sentence"][4] == runs["padded once"][4], "training histories differ"

        for label, times in [("loader pass", passes),
                             ("BaselineDNN epoch", {way: runs[way][5] for way in ways})]:
            old, new = (statistics.median(times[way]) for way in ways)
            print(f"  {label:<18} per sentence {old:6.3f} s, padded once {new:6.3f} s, "
                  f"ratio {old / new:4.2f}x (median of {args.epochs}; identical batches and history)",
                  flush=True)


if __name__ == "__main__":
    main()
