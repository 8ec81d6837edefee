"""The lab's texts for a transformer: train, validation and test splits, by name."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True, repr=False)
class TextSplits:
    """One dataset's splits, each a DataFrame with ``text`` and ``label``, and its labels.

    Read the splits by name (``splits.test``); there is no tuple order to remember.
    """
    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    labels: list[str]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{split}={len(getattr(self, split)):,} rows"
                          for split in ("train", "val", "test"))
        return f"TextSplits({sizes}, labels={self.labels})"


def text_splits(source, *, seed: int = 0, train_size: int | None = None,
                val_size: int | None = None, test_size: int | None = None, test=None,
                text=None, label=None, labels=None) -> TextSplits:
    """A dataset's splits for a transformer, as :class:`TextSplits`.

    Validation is 10% of the training set (stratified, as everywhere in labkit); the
    escaping quirks of scraped tweets are undone (:func:`labkit.text.fix_escapes`); each
    split is subsampled (stratified) to the given size when one is given.

    Args:
        source: a built-in dataset name, e.g. ``"mr"`` or ``"semeval2017a"``, or the path
            of a labelled file (see :func:`labkit.data.load_dataset`; without ``test``, its
            test split is the fixed one of seed 0, whatever ``seed``).
        seed: seeds the validation split and the subsampling.
        train_size, val_size, test_size: at most this many rows (None: all).
        test: a file: its labelled test file, instead of a split.
        text: a file: its text column (a header name or a position from 0).
        label: a file: its label column (a header name or a position from 0).
        labels: a file: the label names in class-id order; default: the training file's, sorted.
    """
    from ..data import load_dataset, subsample, train_val_split
    from ..text import fix_escapes

    data = load_dataset(source, test=test, text=text, label=label, labels=labels)
    train, val = train_val_split(data.train, val_size=0.1, seed=seed)
    splits = []
    for df, size in [(train, train_size), (val, val_size), (data.test, test_size)]:
        df = subsample(df, size, seed) if size else df
        splits.append(df.assign(text=df.text.map(fix_escapes)).reset_index(drop=True))
    return TextSplits(*splits, labels=list(data.labels))
