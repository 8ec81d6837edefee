import random

import pytest
import torch
from torch.utils.data import DataLoader

from labkit.batching import BucketBatchSampler, SentenceDataset, collate, longest_first, make_loader


def random_dataset(n=300, seed=0, labels=True):
    rng = random.Random(seed)
    sentences = [[rng.randrange(2, 50) for _ in range(rng.choice([0, 1, 2, 5, 9, 17, 30]))] for _ in range(n)]
    return SentenceDataset(sentences, [rng.randrange(3) for _ in range(n)] if labels else None, max_length=20)


class PerSentence(torch.utils.data.Dataset):
    """The batches the old way: one tensor per sentence (no __getitems__), padded by collate."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        return self.dataset[i]


def test_collate_pads_with_zero_and_keeps_lengths_on_cpu():
    ds = SentenceDataset([[4, 5, 6], [7], [8, 9]], labels=[1, 0, 1])
    x, lengths, y = collate([ds[i] for i in range(3)])
    assert x.tolist() == [[4, 5, 6], [7, 0, 0], [8, 9, 0]]
    assert lengths.tolist() == [3, 1, 2] and lengths.device.type == "cpu"
    assert y.tolist() == [1, 0, 1]


def test_dataset_cuts_to_max_length_and_keeps_empty_sentences():
    ds = SentenceDataset([[4, 5, 6, 7], []], max_length=2)
    assert ds.lengths == [2, 1]
    assert ds[1][0].tolist() == [1] and ds[1][1] == -1


@pytest.mark.parametrize("labels", [True, False])
def test_getitems_builds_the_batch_that_collate_builds_from_single_sentences(labels):
    ds = random_dataset(labels=labels)
    for indices in [[0], [5, 3, 200], list(range(299, -1, -7)), [4, 4, 4]]:
        fast, slow = collate(ds.__getitems__(indices)), collate([ds[i] for i in indices])
        for a, b in zip(fast, slow):
            assert torch.equal(a, b) and a.dtype == b.dtype == torch.long and a.is_contiguous()
        assert fast[1].device.type == "cpu" and fast[0].size(1) == max(ds.lengths[i] for i in indices)
    assert type(collate(ds.__getitems__([1, 2]))) is tuple


@pytest.mark.parametrize("options", [dict(shuffle=True), dict(shuffle=False),
                                     dict(shuffle=True, exact_length=True), dict(shuffle=True, bucket=False)])
def test_loader_batches_are_cut_from_the_padded_dataset_and_match_the_old_ones(options, monkeypatch):
    ds = random_dataset()
    loader, same_order = (make_loader(ds, batch_size=16, seed=3, pin_memory=False, **options) for _ in "ab")
    old = DataLoader(PerSentence(ds), batch_sampler=same_order.batch_sampler, collate_fn=collate,
                     generator=same_order.generator)       # bucket=False: the same random draws
    expected = list(old)
    monkeypatch.setattr(SentenceDataset, "__getitem__", lambda self, i: pytest.fail("per-sentence fetch"))
    batches = list(loader)
    assert len(batches) == len(expected)
    for batch, reference in zip(batches, expected):
        assert all(torch.equal(a, b) for a, b in zip(batch, reference))


def test_bucket_sampler_covers_every_index_once_with_similar_lengths():
    lengths = [((i * 37) % 50) + 1 for i in range(1000)]
    sampler = BucketBatchSampler(lengths, batch_size=32, seed=3)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 32
    assert sorted(i for b in batches for i in b) == list(range(1000))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 10  # random batches of 32 would span nearly the whole 1..50 range
    assert batches != list(BucketBatchSampler(lengths, batch_size=32, seed=4))


@pytest.mark.parametrize("shuffle", [True, False])
def test_exact_length_batches_hold_one_length_each(shuffle):
    lengths = [((i * 37) % 50) + 1 for i in range(1000)]
    sampler = BucketBatchSampler(lengths, batch_size=32, shuffle=shuffle, seed=3, exact_length=True)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 50                     # 20 sentences of each length
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert all(len({lengths[i] for i in b}) == 1 for b in batches)
    if shuffle:
        assert batches != list(BucketBatchSampler(lengths, 32, seed=4, exact_length=True))


def test_unshuffled_loader_sorts_longest_first():
    ds = SentenceDataset([[2] * n for n in [3, 9, 1, 5]], labels=[0, 1, 0, 1])
    x, lengths, _ = next(iter(make_loader(ds, batch_size=2, shuffle=False)))
    assert lengths.tolist() == [9, 5]


def test_longest_first_orders_by_length_and_restores():
    lengths = [2, 5, 1, 5, 3]
    order = longest_first(lengths)
    assert [lengths[i] for i in order] == [5, 5, 3, 2, 1]
    assert order[:2] == [1, 3]                      # ties keep their order
    restored = [None] * len(lengths)
    for position, i in enumerate(order):
        restored[i] = lengths[order[position]]
    assert restored == lengths
