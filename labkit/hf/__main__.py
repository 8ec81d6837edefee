"""The command line: fine-tune one model on a built-in dataset, test it and log the run.

    python -m labkit.hf --dataset mr --model minilm --method full --epochs 3
    accelerate launch -m labkit.hf --dataset semeval2017a --model roberta-base
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .finetune import METHODS, run_fine_tuning
from .hub import MINILM, PRETRAINED
from .splits import text_splits


def main(argv=None) -> None:
    """Fine-tune one model on a built-in dataset and log it (also under accelerate/torchrun)."""
    parser = argparse.ArgumentParser(prog="python -m labkit.hf", description=main.__doc__)
    parser.add_argument("--dataset", default="mr", choices=sorted(PRETRAINED))
    parser.add_argument("--model", default=MINILM, help="hub id, local folder or 'minilm'")
    parser.add_argument("--method", default="full", choices=list(METHODS))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--train-size", type=int, default=None, help="subsample the training set")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", default="checkpoints/hf")
    parser.add_argument("--notebook", default="cli", help="the run registry's notebook column")
    args = parser.parse_args(argv)

    splits = text_splits(args.dataset, seed=args.seed, train_size=args.train_size)
    out = Path(args.output) / args.dataset / f"{Path(args.model).name}-{args.method}"
    result = run_fine_tuning(args.dataset, args.model, splits.train, splits.val, splits.test,
                             splits.labels, notebook=args.notebook, output_dir=out,
                             method=args.method, epochs=args.epochs, lr=args.lr,
                             batch_size=args.batch_size, max_length=args.max_length,
                             seed=args.seed)
    if result is not None:
        print(f"{result['name']} on {args.dataset}: " + ", ".join(
            f"{k} {v:.3f}" for k, v in result["metrics"].items()))


if __name__ == "__main__":
    main()
