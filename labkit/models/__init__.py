"""Sentence classifiers; every one has ``forward(x, lengths, return_attention=False) -> logits``.

With ``return_attention=True`` each returns ``(logits, attention)``; attention is ``None``
for a model without attention (see each class).
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
