import numpy as np
import pytest
import torch
from torch import nn

from labkit.embeddings import Vocab
from labkit.models import LSTM, MODELS, RNNClassifier
from labkit.models.rnn import POOLINGS
from labkit.checkpoints import load_checkpoint, save_checkpoint

# three sentences of different lengths, padded with 0
X = torch.tensor([[5, 6, 7, 0, 0], [8, 9, 0, 0, 0], [10, 11, 12, 13, 14]])
LENGTHS = torch.tensor([3, 2, 5])


def embeddings(vocab=30, dim=6):
    matrix = np.random.default_rng(0).normal(size=(vocab, dim)).astype("float32")
    matrix[0] = 0
    return matrix


def make(seed=0, **kwargs):
    torch.manual_seed(seed)
    kwargs = {"hidden_size": 7, **kwargs}
    return RNNClassifier(3, embeddings(), **kwargs).eval()


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers,skip_every", [(1, 0), (2, 0), (2, 1)])
def test_packed_batch_equals_each_sentence_alone(cell, bidirectional, num_layers, skip_every):
    model = make(cell=cell, bidirectional=bidirectional, num_layers=num_layers,
                 skip_every=skip_every)
    outputs, logits = model.encode(X, LENGTHS), model(X, LENGTHS)
    for i, n in enumerate(LENGTHS.tolist()):
        alone = X[i:i + 1, :n]
        torch.testing.assert_close(outputs[i, :n], model.encode(alone, torch.tensor([n]))[0])
        torch.testing.assert_close(logits[i], model(alone, torch.tensor([n]))[0])
        assert outputs[i, n:].eq(0).all()


@pytest.mark.parametrize("pooling,attention", [(p, "dot") for p in POOLINGS] + [("attention", "general")])
def test_predictions_ignore_extra_padding_and_batch_order(pooling, attention):
    model = make(cell="lstm", bidirectional=True, num_layers=2, skip_every=1,
                 pooling=pooling, attention=attention)
    logits = model(X, LENGTHS)
    padded = torch.cat([X, torch.zeros(3, 4, dtype=torch.long)], dim=1)
    torch.testing.assert_close(model(padded, LENGTHS), logits)
    order = torch.tensor([2, 0, 1])
    torch.testing.assert_close(model(X[order], LENGTHS[order]), logits[order])


@pytest.mark.parametrize("attention", ["dot", "general"])
def test_attention_weights_sum_to_one_over_words_and_are_zero_on_padding(attention):
    model = make(bidirectional=True, pooling="attention", attention=attention)
    padded = torch.cat([X, torch.zeros(3, 2, dtype=torch.long)], dim=1)
    logits, attention = model(padded, LENGTHS, return_attention=True)
    torch.testing.assert_close(logits, model(padded, LENGTHS))
    weights = attention[0][:, 0, 0]                                  # one query: (B, T)
    assert weights.shape == padded.shape
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(3))
    for i, n in enumerate(LENGTHS.tolist()):
        assert weights[i, n:].eq(0).all()
        assert weights[i, :n].gt(0).all()
    _, unpadded = model(X, LENGTHS, return_attention=True)
    torch.testing.assert_close(unpadded[0][:, 0, 0], weights[:, :X.size(1)])
    assert not hasattr(model, "last_attention")


@pytest.mark.parametrize("pooling", ["last", "mean", "max", "mean_max"])
def test_poolings_without_attention_return_an_empty_list_for_it(pooling):
    model = make(pooling=pooling)
    logits, attention = model(X, LENGTHS, return_attention=True)
    assert attention == []
    torch.testing.assert_close(logits, model(X, LENGTHS))


def test_attention_is_the_masked_softmax_of_the_final_state_against_the_outputs():
    model = make(bidirectional=True, pooling="attention", attention="general")
    outputs = model.encode(X, LENGTHS)
    u, weights = model.sentence_vector(X, LENGTHS, return_attention=True)
    torch.testing.assert_close(u, model.sentence_vector(X, LENGTHS))
    for i, n in enumerate(LENGTHS.tolist()):
        h = outputs[i, :n]                                                    # (n, S)
        q = torch.cat([h[-1, :7], h[0, 7:]])                                  # final state
        a = torch.softmax(model.attention_weight(h) @ q / h.size(1) ** 0.5, dim=0)
        torch.testing.assert_close(weights[i, :n], a)
        torch.testing.assert_close(u[i], a @ h)


def test_bilstm_vector_is_forward_after_last_word_and_backward_after_first():
    torch.manual_seed(0)
    emb = embeddings()
    model = LSTM(2, emb, bidirectional=True, hidden_size=4).eval()
    reference = nn.LSTM(6, 4, batch_first=True, bidirectional=True)
    reference.load_state_dict(model.lstm.state_dict())
    u = model.sentence_vector(X, LENGTHS)                                    # (3, 8)
    assert u.shape == (3, 8)
    for i, n in enumerate(LENGTHS.tolist()):
        words = torch.as_tensor(emb[X[i, :n].numpy()])[None]                # (1, n, 6), no padding
        out, _ = reference(words)                                            # (1, n, 8)
        expected = torch.cat([out[0, n - 1, :4], out[0, 0, 4:]])
        torch.testing.assert_close(u[i], expected)


def test_lstm_and_rnn_classifier_last_pooling_agree():
    lab = LSTM(3, embeddings(), bidirectional=True, hidden_size=7).eval()
    family = make(bidirectional=True)
    family.layers[0].load_state_dict(lab.lstm.state_dict())
    family.output.load_state_dict(lab.output.state_dict())
    torch.testing.assert_close(family(X, LENGTHS), lab(X, LENGTHS))


def test_skip_connection_adds_the_projected_input():
    # a tanh RNN with all weights zero outputs 0, so the block's output is the skip alone
    model = make(cell="rnn", skip_every=1)
    for p in model.layers.parameters():
        nn.init.zeros_(p)
    projection = model.skips["0"]
    assert isinstance(projection, nn.Linear) and projection.bias is None
    expected = projection(model.embedding(X))
    torch.testing.assert_close(model.encode(X, LENGTHS), expected)
    same_size = make(num_layers=3, skip_every=1)
    assert isinstance(same_size.skips["1"], nn.Identity) and isinstance(same_size.skips["2"], nn.Identity)
    assert sorted(make(num_layers=4, skip_every=2).skips) == ["1", "3"]


def test_dropout_only_in_training():
    model = make(dropout=0.5, num_layers=2)
    torch.testing.assert_close(model(X, LENGTHS), model(X, LENGTHS))
    model.train()
    assert not torch.equal(model(X, LENGTHS), model(X, LENGTHS))
    assert not torch.equal(model.encode(X, LENGTHS), model.encode(X, LENGTHS))   # inside the stack


def test_checkpoint_round_trip_gives_identical_predictions(tmp_path):
    kwargs = {"output_size": 3, "cell": "gru", "hidden_size": 7, "num_layers": 2,
              "bidirectional": True, "skip_every": 1, "pooling": "attention",
              "attention": "general", "trainable_emb": True}
    torch.manual_seed(0)
    model = RNNClassifier(embeddings=embeddings(), **kwargs).eval()
    with torch.no_grad():
        model.embedding.weight[2:] += 1.0               # trained embeddings travel too
    path = save_checkpoint(tmp_path / "rnn.pt", model, model_kwargs=kwargs,
                           vocab=Vocab([f"w{i}" for i in range(28)]), labels=["a", "b", "c"])
    loaded = load_checkpoint(path, device="cpu").model
    assert type(loaded) is RNNClassifier and MODELS["LSTM"] is LSTM
    torch.testing.assert_close(loaded(X, LENGTHS), model(X, LENGTHS), rtol=0, atol=0)


def test_bad_arguments_are_named():
    for bad, word in [({"cell": "lstmx"}, "cell"), ({"pooling": "median"}, "pooling"),
                      ({"attention": "additive"}, "attention"), ({"num_layers": 0}, "num_layers")]:
        with pytest.raises(ValueError, match=word):
            RNNClassifier(2, embeddings(), **bad)
