"""Sentence classifiers; every one has ``forward(x, lengths, return_attention=False) -> logits``.

With ``return_attention=True`` every model returns ``(logits, attention)``, and
``attention`` is always a list with one tensor per attention layer, each of shape
(B, n_head, T_query, T): ``attention[l][b, h, i, j]`` is how much query i looks at word j.
A transformer block has T queries (one per word); an RNN's attention pooling has one query
(the final state), so its one entry is (B, 1, 1, T); a model without attention gives ``[]``.
"""
from .attention import MultiHeadAttentionModel, SimpleSelfAttentionModel, TransformerEncoderModel
from .baseline import BaselineDNN
from .layers import count_parameters
from .rnn import LSTM, RNNClassifier

MODELS = {"BaselineDNN": BaselineDNN, "SimpleSelfAttentionModel": SimpleSelfAttentionModel,
          "MultiHeadAttentionModel": MultiHeadAttentionModel,
          "TransformerEncoderModel": TransformerEncoderModel,
          "LSTM": LSTM, "RNNClassifier": RNNClassifier}

__all__ = ["BaselineDNN", "count_parameters", "LSTM", "MODELS", "MultiHeadAttentionModel", "SimpleSelfAttentionModel",
           "RNNClassifier", "TransformerEncoderModel"]
