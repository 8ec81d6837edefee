"""Training-epoch time of one BiLSTM on MR: packed + length-bucketed batches vs fixed-length padding.

    LABKIT_DATA_DIR=../shared/data python benchmarks/packing.py [--epochs 3] [--threads 1]
                                                              [--pool-size N]

(a) packed: ``labkit.models.LSTM`` (packed sequences, the state after each sentence's
    last real word), trained on batches that each hold sentences of one length
    (``task.loaders(exact_length=True)``);
(a') the same on labkit's default buckets: pools of 50 batches sorted by length, so a
    batch mixes a few neighbouring lengths (``--pool-size N`` changes the pool);
(b) padded: :class:`PaddedLastPositionBiLSTM` below, the original lab's way: every batch
    padded to ``task.max_length``, run through the LSTM unpacked, classified from the
    output at the last *padded* position; batches shuffled at random, no bucketing.

All three start from the same seed (same weights), same frozen GloVe 50d, same optimizer
settings. Epochs are interleaved a-a'-b-a-... so all see the same machine load; the script
prints each epoch's time, then the test accuracy of each model, and the ratios of the
median epoch times last. One torch thread by default: on a small shared CPU, two threads
competing with other work were 5-10x slower and erratic (``--threads 0`` keeps torch's
default).
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from labkit.batching import BucketBatchSampler, collate
from labkit.models import LSTM
from labkit.pipeline import prepare_task
from labkit.training import fit, make_optimizer, predict, set_seed


class PaddedLastPositionBiLSTM(LSTM):
    """The original lab's LSTM, for comparison only: pad every sentence to ``max_length``,
    run the LSTM over the padding too (no packing), take the output at position T-1.

    The forward half has read the sentence and then the padding; the backward half has
    read only padding. Same parameters as :class:`labkit.models.LSTM`.
    """

    def __init__(self, *args, max_length: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_length = max_length

    def sentence_vector(self, x, lengths):
        x = F.pad(x[:, :self.max_length], (0, self.max_length - min(x.size(1), self.max_length)))
        outputs, _ = self.lstm(self.embedding(x))                    # (B, max_length, 2H)
        return outputs[:, -1]                                         # (B, 2H), a padded position


def describe(name: str, loader) -> None:
    """Padded length the RNN runs over, and how many lengths share a batch."""
    widths, kinds = [], []
    for x, lengths, _ in loader:
        widths.append(x.size(1))
        kinds.append(len(set(lengths.tolist())))
    print(f"  {name:<24} {len(widths)} batches, padded length {statistics.mean(widths):.1f} "
          f"(data), distinct lengths per batch {statistics.mean(kinds):.1f}, "
          f"single-length batches {sum(k == 1 for k in kinds) / len(kinds):.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="training epochs of each variant")
    parser.add_argument("--hidden", type=int, default=64, help="LSTM hidden size per direction")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--pool-size", type=int, default=None,
                        help="bucket pool in batches (default: labkit's loader as is)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads; 0 = torch's default")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    task = prepare_task("mr", seed=args.seed)
    lengths = task.train.lengths
    print(f"MR: {len(task.train):,} training sentences, mean length "
          f"{statistics.mean(lengths):.1f} tokens, fixed max_length {task.max_length}; "
          f"BiLSTM hidden {args.hidden}, frozen GloVe 50d, batch {args.batch_size}, "
          f"device {args.device}, torch threads {torch.get_num_threads()}")

    variants = {}
    for name, cls, extra, loader_kwargs in [
            ("a packed, exact-length", LSTM, {}, {"exact_length": True}),
            ("a' packed, pooled", LSTM, {}, {}),
            ("b padded to max_length", PaddedLastPositionBiLSTM, {"max_length": task.max_length},
             {"bucket": False})]:
        set_seed(args.seed)
        model = cls(len(task.labels), task.embeddings, bidirectional=True, hidden_size=args.hidden,
                    **extra).to(args.device)
        loader, _ = task.loaders(args.batch_size, seed=args.seed, **loader_kwargs)
        if name.startswith("a'") and args.pool_size:
            sampler = BucketBatchSampler(task.train.lengths, args.batch_size, shuffle=True,
                                         pool_size=args.pool_size, seed=args.seed)
            loader = DataLoader(task.train, batch_sampler=sampler, collate_fn=collate)
        describe(name, loader)
        variants[name] = (model, loader, make_optimizer("adam", model.parameters(), lr=1e-3), [])

    for epoch in range(1, args.epochs + 1):
        for name, (model, loader, optimizer, times) in variants.items():
            start = time.perf_counter()
            fit(model, loader, None, labels=task.labels, epochs=1, optimizer=optimizer,
                patience=None, device=args.device, progress=False)
            times.append(time.perf_counter() - start)
            print(f"epoch {epoch}  {name:<24} {times[-1]:6.2f} s", flush=True)

    medians = {}
    for name, (model, _, _, times) in variants.items():
        _, pred = predict(model, task.test, device=args.device)
        accuracy = (pred == np.asarray(task.test.labels)).mean()
        medians[name] = statistics.median(times)
        print(f"{name:<24} median epoch {medians[name]:6.2f} s   test accuracy "
              f"{accuracy:.3f} ({len(task.test)} sentences, after {args.epochs} epochs)")
    (a, a_pooled, b) = medians.values()
    print(f"ratio (padded / packed with pooled buckets): {b / a_pooled:.2f}x")
    print(f"ratio (padded / packed with exact-length batches): {b / a:.2f}x")


if __name__ == "__main__":
    main()
