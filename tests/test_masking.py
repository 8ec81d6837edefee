import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from labkit.models.masking import last_timestep, lengths_to_mask, masked_max, masked_mean


def random_batch(lengths, dim=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor(lengths)
    x = torch.randn(len(lengths), int(lengths.max()), dim, generator=g)
    x = x.masked_fill(~lengths_to_mask(lengths).unsqueeze(-1), 1e6)  # poison the padding
    return x, lengths


def test_masked_mean_and_max_equal_per_example_pooling():
    x, lengths = random_batch([5, 2, 7, 1])
    mask = lengths_to_mask(lengths)
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(masked_mean(x, mask)[i], x[i, :n].mean(0))
        torch.testing.assert_close(masked_max(x, mask)[i], x[i, :n].max(0).values)


def test_last_timestep_of_packed_lstm_equals_per_example_last_state():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(4, 6, batch_first=True)
    x, lengths = random_batch([5, 2, 7, 1])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, (h_n, _) = lstm(packed)
    out, _ = pad_packed_sequence(out, batch_first=True)
    last = last_timestep(out, lengths)
    torch.testing.assert_close(last, h_n[0])
    for i, n in enumerate(lengths.tolist()):
        alone, _ = lstm(x[i:i + 1, :n])
        torch.testing.assert_close(last[i], alone[0, -1])
