"""Turning token-id lists into padded batches, and the masks that keep padding out.

Every sequence model in labkit reads a batch as ``(x, lengths)``:

* ``x`` -- a LongTensor (B, T), each row a sentence's token ids followed by padding id 0;
* ``lengths`` -- a LongTensor (B,) on the CPU with the number of real tokens per row
  (``pack_padded_sequence`` insists on CPU lengths).

The models keep the padding out with the masks of :mod:`labkit.models.masking`.

A :class:`SentenceDataset` pads all its sentences once, into one tensor; the DataLoader then
cuts each batch out of it (:meth:`SentenceDataset.__getitems__`) and :func:`collate` passes
it on, so no batch is built sentence by sentence.
"""
from __future__ import annotations

import itertools
import random
from collections import Counter
from typing import Iterator, NamedTuple, Sequence

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset, Sampler

from . import settings

PAD = 0


class Batch(NamedTuple):
    """A batch as :meth:`SentenceDataset.__getitems__` builds it: ``(x, lengths, y)``."""
    x: torch.Tensor           # (B, T) token ids, padded with PAD
    lengths: torch.Tensor     # (B,) on the CPU
    y: torch.Tensor           # (B,) labels, -1 for unlabelled sentences


class SentenceDataset(Dataset):
    """Sentences as token-id lists, with optional integer labels.

    Sentences longer than ``max_length`` are cut; empty ones keep one ``<unk>`` (id 1) so
    every example has at least one real token.

    The whole dataset is also padded once into one tensor (N, T), T the longest sentence,
    with its lengths and labels beside it. A batch is then cut out of these with one
    indexing operation (:meth:`__getitems__`) instead of building one small tensor per
    sentence and padding them again for every batch of every epoch. The dataset is
    read-only once built: make a new one to change sentences.

    >>> ds = SentenceDataset([[5, 6, 7], [8]], labels=[1, 0])
    >>> ds[0]
    (tensor([5, 6, 7]), 1)
    >>> ds.lengths
    [3, 1]
    >>> ds.padded
    tensor([[5, 6, 7],
            [8, 0, 0]])
    """

    def __init__(self, token_ids: Sequence[Sequence[int]], labels: Sequence[int] | None = None,
                 max_length: int | None = None):
        if labels is not None and len(labels) != len(token_ids):
            raise ValueError(f"{len(token_ids)} sentences but {len(labels)} labels")
        self.sentences = [list(ids[:max_length]) or [1] for ids in token_ids]
        self.labels = None if labels is None else [int(y) for y in labels]
        self.padded, self.length_tensor = _pad_all(self.sentences)       # (N, T), (N,)
        self.label_tensor = torch.tensor(self.labels if labels is not None else [-1] * len(self),
                                         dtype=torch.long)               # (N,)

    @property
    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.sentences]

    def __len__(self) -> int:
        return len(self.sentences)

    def __getitem__(self, i: int):
        label = -1 if self.labels is None else self.labels[i]
        return self.padded[i, :len(self.sentences[i])].clone(), label

    def __getitems__(self, indices: list[int]) -> Batch:
        """The batch of these sentences, built at once: ``(x, lengths, y)``, ``x`` only as
        wide as its longest sentence. A DataLoader calls this, when the dataset has it,
        instead of ``__getitem__`` once per sentence; :func:`collate` passes it through.

        >>> SentenceDataset([[5, 6, 7], [8], [9, 4]], labels=[1, 0, 1]).__getitems__([1, 2])
        Batch(x=tensor([[8, 0],
                [9, 4]]), lengths=tensor([1, 2]), y=tensor([0, 1]))
        """
        rows = torch.as_tensor(indices, dtype=torch.long)
        lengths = self.length_tensor[rows]                                # (B,)
        x = self.padded[rows, :int(lengths.max())]                        # (B, T), T <= padded width
        return Batch(x, lengths, self.label_tensor[rows])


def _pad_all(sentences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Every sentence in one (N, T) LongTensor padded with PAD, and the (N,) lengths."""
    lengths = np.array([len(ids) for ids in sentences], dtype=np.int64)
    padded = np.full((len(sentences), lengths.max(initial=1)), PAD, dtype=np.int64)
    if len(sentences):
        real = np.arange(padded.shape[1]) < lengths[:, None]             # (N, T), row by row
        padded[real] = np.concatenate(sentences)
    return torch.from_numpy(padded), torch.from_numpy(lengths)


def collate(batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad a list of ``(ids, label)`` pairs into ``(x, lengths, y)``.

    A :class:`Batch` that :meth:`SentenceDataset.__getitems__` built already passes through.

    >>> x, lengths, y = collate([(torch.tensor([5, 6, 7]), 1), (torch.tensor([8]), 0)])
    >>> x
    tensor([[5, 6, 7],
            [8, 0, 0]])
    >>> lengths, y
    (tensor([3, 1]), tensor([1, 0]))
    """
    if isinstance(batch, Batch):
        return tuple(batch)
    ids, labels = zip(*batch)
    x = pad_sequence(ids, batch_first=True, padding_value=PAD)    # (B, T)
    lengths = torch.tensor([len(s) for s in ids], dtype=torch.long)  # (B,) on the CPU
    return x, lengths, torch.tensor(labels, dtype=torch.long)


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of sentences of similar length, so little time is spent on padding.

    The indices are shuffled, cut into pools of ``pool_size`` batches, each pool sorted by
    length and cut into batches; the batches are then shuffled. With ``exact_length=True``
    every batch holds sentences of one length only (the last batch of each length may be
    smaller): a packed RNN then runs as fast as on a plain tensor. With ``shuffle=False``
    the order is fixed: sentences sorted by length, longest first.

    >>> sampler = BucketBatchSampler([3, 1, 3, 2, 3], batch_size=2, exact_length=True)
    >>> sorted(sorted(batch) for batch in sampler)
    [[0, 2], [1], [3], [4]]
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, shuffle: bool = True,
                 pool_size: int = 50, seed: int = 0, exact_length: bool = False):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.lengths, self.batch_size = list(lengths), batch_size
        self.shuffle, self.pool_size, self.exact_length = shuffle, pool_size, exact_length
        self.rng = random.Random(seed)

    def __iter__(self) -> Iterator[list[int]]:
        if not self.shuffle:
            yield from self._batches(longest_first(self.lengths))
            return
        order = list(range(len(self.lengths)))
        self.rng.shuffle(order)
        pool = len(order) if self.exact_length else self.batch_size * self.pool_size
        batches = []
        for start in range(0, len(order), pool):
            chunk = sorted(order[start:start + pool], key=lambda i: self.lengths[i])
            batches.extend(self._batches(chunk))
        self.rng.shuffle(batches)
        yield from batches

    def _batches(self, indices: list[int]) -> Iterator[list[int]]:
        """Cut length-sorted indices into batches (never across a length if exact_length)."""
        groups = [indices]
        if self.exact_length:
            groups = [list(g) for _, g in itertools.groupby(indices, key=lambda i: self.lengths[i])]
        for group in groups:
            for start in range(0, len(group), self.batch_size):
                yield group[start:start + self.batch_size]

    def __len__(self) -> int:
        if self.exact_length:
            counts = Counter(self.lengths).values()
            return sum(-(-n // self.batch_size) for n in counts)
        return -(-len(self.lengths) // self.batch_size)


def make_loader(dataset: SentenceDataset, batch_size: int = 64, shuffle: bool = False,
                bucket: bool = True, seed: int = 0, exact_length: bool = False,
                pin_memory: bool | None = None) -> DataLoader:
    """A DataLoader yielding ``(x, lengths, y)``; length-bucketed unless ``bucket=False``.

    exact_length: every batch holds one sentence length (see :class:`BucketBatchSampler`).
    pin_memory: batches in page-locked memory, so copies to the GPU can overlap its work;
    ``None``: when :func:`labkit.settings.pick_device` is CUDA.
    """
    if pin_memory is None:
        pin_memory = settings.pick_device().type == "cuda"
    if bucket:
        sampler = BucketBatchSampler(dataset.lengths, batch_size, shuffle=shuffle, seed=seed,
                                     exact_length=exact_length)
        return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate, pin_memory=pin_memory)
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, collate_fn=collate,
                      generator=generator, pin_memory=pin_memory)


def longest_first(lengths: Sequence[int]) -> list[int]:
    """Indices that sort ``lengths`` longest first (ties keep their order).

    Batches of similar lengths waste little time on padding. Put results back in the
    original order with ``out[order] = results_in_sorted_order``.

    >>> order = longest_first([1, 3, 2])
    >>> order
    [1, 2, 0]
    >>> import numpy as np
    >>> out = np.empty(3, dtype=int); out[order] = [30, 20, 10]; out   # back in place
    array([10, 30, 20])
    """
    return sorted(range(len(lengths)), key=lambda i: -lengths[i])
