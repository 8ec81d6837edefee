import numpy as np
import pytest
import torch

from labkit.models import MODELS, BaselineDNN


def embeddings(vocab=30, dim=8):
    matrix = np.random.default_rng(0).normal(size=(vocab, dim)).astype("float32")
    matrix[0] = 0
    return matrix


@pytest.mark.parametrize("pooling", ["mean", "mean_max"])
def test_baseline_ignores_padding_and_batch_order(pooling):
    torch.manual_seed(0)
    model = BaselineDNN(3, embeddings(), pooling=pooling).eval()
    x = torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0], [10, 11, 12, 13]])
    lengths = torch.tensor([3, 2, 4])
    logits = model(x, lengths)
    padded = torch.cat([x, torch.zeros(3, 5, dtype=torch.long)], dim=1)
    torch.testing.assert_close(model(padded, lengths), logits)
    order = torch.tensor([2, 0, 1])
    torch.testing.assert_close(model(x[order], lengths[order]), logits[order])


def test_mean_max_vector_is_mean_joined_with_max():
    emb = embeddings()
    model = BaselineDNN(2, emb, pooling="mean_max")
    u = model.sentence_vector(torch.tensor([[3, 4, 0]]), torch.tensor([2]))
    expected = np.concatenate([emb[[3, 4]].mean(0), emb[[3, 4]].max(0)])
    np.testing.assert_allclose(u[0].detach().numpy(), expected, rtol=1e-6)


# One small configuration of every registered model (a new model must be added here).
CONFIGS = {
    "BaselineDNN": {"pooling": "mean_max"},
    "LSTM": {"bidirectional": True, "hidden_size": 5},
    "RNNClassifier": {"cell": "gru", "num_layers": 2, "skip_every": 1, "pooling": "attention",
                      "bidirectional": True, "hidden_size": 6},
    "SimpleSelfAttentionModel": {"max_length": 8},
    "MultiHeadAttentionModel": {"max_length": 8, "n_head": 2},
    "TransformerEncoderModel": {"max_length": 8, "n_head": 2, "n_layer": 2},
}


def test_every_registered_model_is_covered():
    assert set(CONFIGS) == set(MODELS)


@pytest.mark.parametrize("name", CONFIGS)
def test_embeddings_are_frozen_unless_trainable_and_start_pretrained(name):
    emb = embeddings()
    x, lengths = torch.tensor([[3, 4, 0], [5, 6, 7]]), torch.tensor([2, 3])
    for trainable in (False, True):
        torch.manual_seed(0)
        model = MODELS[name](2, emb, trainable_emb=trainable, **CONFIGS[name])
        np.testing.assert_array_equal(model.embedding.weight.detach().numpy(), emb)
        model(x, lengths).sum().backward()
        grad = model.embedding.weight.grad
        assert (grad is not None) == trainable
        if trainable:
            assert grad[3].abs().sum() > 0 and grad[0].eq(0).all()   # the padding row never moves


@pytest.mark.parametrize("name", CONFIGS)
def test_training_embeddings_leaves_the_shared_matrix_and_other_models_alone(name):
    emb = embeddings()
    original = emb.copy()
    frozen = MODELS[name](2, emb, **CONFIGS[name])
    trained = MODELS[name](2, emb, trainable_emb=True, **CONFIGS[name])
    optimizer = torch.optim.SGD([trained.embedding.weight], lr=1.0)
    trained(torch.tensor([[3, 4, 5]]), torch.tensor([3])).sum().backward()
    optimizer.step()
    assert not np.array_equal(trained.embedding.weight.detach().numpy(), original)
    np.testing.assert_array_equal(emb, original)
    np.testing.assert_array_equal(frozen.embedding.weight.detach().numpy(), original)


@pytest.mark.parametrize("name", CONFIGS)
def test_every_model_returns_attention_the_same_way(name):
    torch.manual_seed(0)
    model = MODELS[name](2, embeddings(), **CONFIGS[name]).eval()
    x, lengths = torch.tensor([[3, 4, 0], [5, 6, 7]]), torch.tensor([2, 3])
    logits, attention = model(x, lengths, return_attention=True)
    torch.testing.assert_close(logits, model(x, lengths))
    assert isinstance(attention, list) and all(a.dim() == 4 for a in attention)
    if name in ("BaselineDNN", "LSTM"):
        assert attention == []
    elif name == "RNNClassifier":                              # attention pooling: one query
        assert attention[0].shape == (2, 1, 1, 3) and attention[0][0, 0, 0, 2] == 0
    else:                                                      # one (B, H, T, T) per block
        assert len(attention) == len(model.blocks) and attention[0].shape[-2:] == (3, 3)
        assert all(a.shape == (2, len(block.sa.heads), 3, 3) for a, block in zip(attention, model.blocks))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="pooling"):
        BaselineDNN(2, embeddings(), pooling="median")
    with pytest.raises(ValueError, match="activation"):
        BaselineDNN(2, embeddings(), activation_name="swishy")
