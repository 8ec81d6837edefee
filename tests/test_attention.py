import numpy as np
import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from labkit.models.masking import lengths_to_mask
from labkit.embeddings import Vocab
from labkit.models import (MODELS, MultiHeadAttentionModel, SimpleSelfAttentionModel,
                           TransformerEncoderModel)
from labkit.models.attention import Block, MultiHeadAttention, PositionEmbedding
from labkit.checkpoints import load_checkpoint, save_checkpoint

VOCAB, DIM, MAX_LEN = 30, 12, 10


def embeddings(vocab=VOCAB, dim=DIM):
    matrix = np.random.default_rng(0).normal(size=(vocab, dim)).astype("float32")
    matrix[0] = 0
    return matrix


# (class, constructor arguments other than embeddings) -- also what a checkpoint stores
CONFIGS = {
    "simple": (SimpleSelfAttentionModel, {"output_size": 3, "max_length": MAX_LEN}),
    "multihead": (MultiHeadAttentionModel, {"output_size": 3, "max_length": MAX_LEN, "n_head": 3}),
    "transformer": (TransformerEncoderModel, {"output_size": 3, "max_length": MAX_LEN, "n_head": 4,
                                              "n_layer": 2, "d_ff": 20, "dropout": 0.1}),
    "sinusoidal": (TransformerEncoderModel, {"output_size": 3, "max_length": MAX_LEN, "n_head": 2,
                                             "n_layer": 2, "positions": "sinusoidal"}),
    "no_positions": (MultiHeadAttentionModel, {"output_size": 3, "max_length": MAX_LEN,
                                               "n_head": 2, "positions": "none"}),
}


def build(name, seed=0):
    cls, kwargs = CONFIGS[name]
    torch.manual_seed(seed)
    return cls(embeddings=embeddings(), **kwargs).eval()


def batch():
    x = torch.tensor([[5, 6, 7, 0, 0], [8, 9, 0, 0, 0], [10, 11, 12, 13, 14], [15, 0, 0, 0, 0]])
    return x, torch.tensor([3, 2, 5, 1])


def copy_attention(mine: MultiHeadAttention, theirs: nn.MultiheadAttention):
    """Put torch's packed [W_q; W_k; W_v] and out_proj into our per-head Linears."""
    n_head, size = len(mine.heads), mine.heads[0].query.out_features
    weights = theirs.in_proj_weight.chunk(3)                     # 3 × (E, E)
    biases = theirs.in_proj_bias.chunk(3)
    with torch.no_grad():
        for h, head in enumerate(mine.heads):
            rows = slice(h * size, (h + 1) * size)
            for linear, w, b in zip((head.query, head.key, head.value), weights, biases):
                linear.weight.copy_(w[rows])
                linear.bias.copy_(b[rows])
        mine.proj.weight.copy_(theirs.out_proj.weight)
        mine.proj.bias.copy_(theirs.out_proj.bias)
    assert n_head == theirs.num_heads


def randomise(module: nn.Module):
    """Every parameter random (LayerNorm weights too), so a wrong copy cannot pass."""
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0, 0.5)


def test_multihead_attention_equals_torch():
    torch.manual_seed(0)
    theirs = nn.MultiheadAttention(DIM, 3, batch_first=True)
    randomise(theirs)
    mine = MultiHeadAttention(DIM, 3)
    copy_attention(mine, theirs)
    x = torch.randn(3, 6, DIM)
    mask = lengths_to_mask(torch.tensor([6, 2, 4]))
    out, weights = mine(x, mask)
    expected, expected_weights = theirs(x, x, x, key_padding_mask=~mask, average_attn_weights=False)
    torch.testing.assert_close(out[mask], expected[mask])                     # real queries
    real_rows = mask[:, None, :, None].expand_as(weights)
    torch.testing.assert_close(weights[real_rows], expected_weights[real_rows])


@pytest.mark.parametrize("activation_name", ["relu", "gelu"])
def test_block_equals_torch_transformer_encoder_layer(activation_name):
    torch.manual_seed(0)
    theirs = nn.TransformerEncoderLayer(DIM, 4, dim_feedforward=20, dropout=0.0,
                                        activation=activation_name, batch_first=True,
                                        norm_first=True)
    randomise(theirs)
    mine = Block(DIM, 4, d_ff=20, dropout=0.0, activation_name=activation_name)
    copy_attention(mine.sa, theirs.self_attn)
    with torch.no_grad():
        for a, b in [(mine.ln1, theirs.norm1), (mine.ln2, theirs.norm2),
                     (mine.ffwd.net[0], theirs.linear1), (mine.ffwd.net[3], theirs.linear2)]:
            a.weight.copy_(b.weight)
            a.bias.copy_(b.bias)
    x = torch.randn(3, 6, DIM)
    mask = lengths_to_mask(torch.tensor([6, 2, 4]))
    for train in (True, False):      # eval mode may take torch's fused fast path
        mine.train(train), theirs.train(train)
        out, _ = mine(x, mask)
        expected = theirs(x, src_key_padding_mask=~mask)
        torch.testing.assert_close(out[mask], expected[mask], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", CONFIGS)
def test_predictions_ignore_padding_and_batch_order(name):
    model = build(name)
    x, lengths = batch()
    logits = model(x, lengths)
    padded = torch.cat([x, torch.zeros(4, 3, dtype=torch.long)], dim=1)       # T 5 -> 8
    torch.testing.assert_close(model(padded, lengths), logits)
    order = torch.tensor([2, 0, 3, 1])
    torch.testing.assert_close(model(x[order], lengths[order]), logits[order])
    alone = torch.cat([model(x[i:i + 1, :n], lengths[i:i + 1]) for i, n in enumerate(lengths)])
    torch.testing.assert_close(alone, logits)


@pytest.mark.parametrize("name", CONFIGS)
def test_attention_rows_sum_to_one_over_words_and_zero_on_padding(name):
    model = build(name)
    x, lengths = batch()
    _, attention = model(x, lengths, return_attention=True)
    mask = lengths_to_mask(lengths)                                           # (B, T)
    n_layer, n_head = len(model.blocks), len(model.blocks[0].sa.heads)
    assert len(attention) == n_layer
    for weights in attention:
        assert weights.shape == (4, n_head, 5, 5)
        assert not weights.isnan().any()
        rows = weights.sum(-1)                                                # (B, H, T)
        torch.testing.assert_close(rows, mask[:, None, :].expand_as(rows).float())
        padded_key = ~mask[:, None, None, :].expand_as(weights)
        padded_query = ~mask[:, None, :, None].expand_as(weights)
        assert (weights[padded_key | padded_query] == 0).all()                # exactly 0


def test_scores_are_scaled_by_head_size():
    model = build("simple")
    head = model.blocks[0].sa.heads[0]
    h = torch.randn(1, 4, DIM)
    _, weights = head(h, torch.ones(1, 4, dtype=torch.bool))
    q, k = head.query(h), head.key(h)
    expected = torch.softmax(q @ k.transpose(1, 2) / head.query.out_features ** 0.5, dim=-1)
    torch.testing.assert_close(weights, expected)


def test_empty_sentence_gives_finite_logits_and_gradients():
    model = build("transformer").train()
    x, lengths = torch.tensor([[5, 6], [0, 0]]), torch.tensor([2, 0])
    model(x, lengths).sum().backward()
    assert all(p.grad.isfinite().all() for p in model.parameters() if p.grad is not None)


@pytest.mark.parametrize("name", ["simple", "sinusoidal", "no_positions"])
def test_sentences_longer_than_max_length_are_cut(name):
    model = build(name)
    x = torch.randint(2, VOCAB, (3, MAX_LEN + 6))
    x[1, 4:] = 0
    lengths = torch.tensor([MAX_LEN + 6, 4, MAX_LEN + 1])
    logits, attention = model(x, lengths, return_attention=True)
    cut = model(x[:, :MAX_LEN], torch.tensor([MAX_LEN, 4, MAX_LEN]))
    torch.testing.assert_close(logits, cut)
    assert attention[0].shape[-2:] == (MAX_LEN, MAX_LEN)


def test_position_kinds():
    sinusoidal = PositionEmbedding(MAX_LEN, DIM, "sinusoidal")
    table = sinusoidal(torch.arange(MAX_LEN))
    torch.testing.assert_close(table[0], torch.tensor([0.0, 1.0] * (DIM // 2)))  # sin 0, cos 0
    assert not any(p.requires_grad for p in sinusoidal.parameters())           # fixed
    assert (PositionEmbedding(MAX_LEN, DIM, "none")(torch.arange(4)) == 0).all()
    learned = PositionEmbedding(MAX_LEN, DIM, "learned")
    assert learned.table.weight.requires_grad
    # positions change predictions only when they exist: "none" is blind to word order
    x, lengths = torch.tensor([[5, 6, 7]]), torch.tensor([3])
    flipped = x.flip(1)
    blind = build("no_positions")
    torch.testing.assert_close(blind(x, lengths), blind(flipped, lengths))
    for name in ("simple", "sinusoidal"):
        model = build(name)
        assert not torch.allclose(model(x, lengths), model(flipped, lengths))
    with pytest.raises(ValueError, match="positions"):
        TransformerEncoderModel(2, embeddings(), positions="rotary")
    with pytest.raises(ValueError, match="n_head"):
        MultiHeadAttentionModel(2, embeddings(), n_head=DIM + 1)


@pytest.mark.parametrize("name", CONFIGS)
def test_checkpoint_round_trip_gives_identical_predictions(name, tmp_path):
    cls, kwargs = CONFIGS[name]
    assert MODELS[cls.__name__] is cls
    model = build(name)
    vocab = Vocab([f"w{i}" for i in range(2, VOCAB)])
    path = save_checkpoint(tmp_path / "m.pt", model, model_kwargs=kwargs, vocab=vocab,
                           labels=["neg", "neu", "pos"])
    loaded = load_checkpoint(path, device="cpu").model
    x, lengths = batch()
    torch.testing.assert_close(loaded(x, lengths), model(x, lengths), rtol=0, atol=0)


class SameDevice(TorchFunctionMode):
    """Fails any torch call whose tensor arguments sit on more than one device.

    On the "meta" device some kernels (embedding lookups) accept a CPU index silently, so
    this is what catches a tensor made on the CPU inside forward (e.g. torch.arange(T)).
    """

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        flat = [*args, *kwargs.values()]
        flat = [t for a in flat for t in (a if isinstance(a, (list, tuple)) else [a])]
        devices = {t.device for t in flat if isinstance(t, torch.Tensor) and t.dim() > 0}
        assert len(devices) <= 1, f"{getattr(func, '__name__', func)} mixes devices {devices}"
        return func(*args, **kwargs)


DEVICES = ["cpu", "meta"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["transformer", "sinusoidal", "no_positions"])
def test_models_run_on_the_inputs_device(name, device):
    model = build(name)
    x, lengths = batch()                                   # lengths stay on the CPU
    expected = model(x, lengths)
    model.to(device)
    with SameDevice():
        logits, attention = model(x.to(device), lengths, return_attention=True)
    assert logits.device.type == device and logits.shape == (4, 3)
    assert all(w.device.type == device for w in attention)
    if device != "meta":
        torch.testing.assert_close(logits.cpu(), expected, rtol=1e-4, atol=1e-4)
