"""Training-epoch time of small labkit models with 1 vs 2 torch threads, interleaved.

    python benchmarks/threads.py [--epochs 3]

The Makefile runs everything with OMP_NUM_THREADS=1; this measures why. Ratios > 1 mean
one thread is faster. Run it on an otherwise idle machine.
"""
import argparse
import time

import torch

from labkit.models import BaselineDNN, RNNClassifier
from labkit.pipeline import prepare_task
from labkit.training import fit, set_seed


def epoch_seconds(task, build, threads):
    torch.set_num_threads(threads)
    set_seed(0)
    model = build(task)
    train_loader, _ = task.loaders(128, seed=0)
    start = time.perf_counter()
    fit(model, train_loader, None, labels=task.labels, epochs=1, progress=False, device="cpu")
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per setting")
    args = parser.parse_args()
    task = prepare_task("mr", seed=0)
    models = {
        "BaselineDNN mean|max": lambda t: BaselineDNN(2, t.embeddings, pooling="mean_max"),
        "BiLSTM 128": lambda t: RNNClassifier(2, t.embeddings, hidden_size=128, bidirectional=True),
    }
    for name, build in models.items():
        times = {1: [], 2: []}
        for _ in range(args.epochs):
            for threads in (1, 2):          # interleaved, so drift hits both alike
                times[threads].append(epoch_seconds(task, build, threads))
        one, two = min(times[1]), min(times[2])
        print(f"{name}: best epoch {one:.2f} s with 1 thread, {two:.2f} s with 2; "
              f"ratio 2-thread/1-thread = {two / one:.2f}")


if __name__ == "__main__":
    main()
