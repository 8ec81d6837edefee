"""The lab's code exercises, as the grader builds them: which class, with which arguments.

Each exercise is a class the student writes in a solution cell, with the attribute names and
the signature of labkit's reference, so that the reference's weights load into it. The grader
builds the student's class and the reference with the same arguments (``configs``), gives both
the same random weights, and compares what they compute (:mod:`labkit.course.probes`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Exercise", "EXERCISES", "OUTPUT_SIZE", "exercises_of"]

OUTPUT_SIZE = 3          # classes of every model the grader builds


@dataclass(frozen=True)
class Exercise:
    """One code exercise.

    Args:
        key: the prefix of its tests' grade ids, e.g. ``"ex3_head"`` for ``ex3_head_padding``.
        notebook: the notebook it is in.
        cell: the grade id of the solution cell that defines the class.
        cls: the class's name.
        reference: labkit's class, ``"module:Name"`` below ``labkit.``.
        configs: keyword arguments of each model built (besides output size and embeddings).
        layer_width: for an attention layer (Head, MultiHeadAttention), the width of its output:
            the layer is tested inside :class:`labkit.exercises.LayerModel`.
    """
    key: str
    notebook: str
    cell: str
    cls: str
    reference: str
    configs: tuple[dict, ...] = field(default_factory=tuple)
    layer_width: int | None = None


EXERCISES = {e.key: e for e in [
    Exercise("ex1", "01_baselines_mean_max.ipynb", "ex1_baseline_dnn", "BaselineDNN", "models.baseline:BaselineDNN",
             ({"pooling": "mean", "hidden_size": 8}, {"pooling": "mean_max", "hidden_size": 8, "dropout": 0.4})),
    Exercise("ex2", "02_lstm_bilstm.ipynb", "ex2_lstm", "LSTM", "models.rnn:LSTM",
             ({"bidirectional": False, "hidden_size": 5}, {"bidirectional": True, "hidden_size": 5})),
    Exercise("ex3", "03_self_attention.ipynb", "ex3_self_attention", "SimpleSelfAttentionModel",
             "models.attention:SimpleSelfAttentionModel",
             ({"max_length": 10}, {"max_length": 10, "dropout": 0.3})),
    Exercise("ex3_head", "03_self_attention.ipynb", "ex3_head", "Head", "models.attention:Head",
             ({"n_embd": 6, "head_size": 3}, {"n_embd": 6, "head_size": 3, "dropout": 0.3}), layer_width=3),
    Exercise("ex4", "04_multihead_attention.ipynb", "ex4_multihead", "MultiHeadAttentionModel",
             "models.attention:MultiHeadAttentionModel",
             ({"max_length": 10, "n_head": 1}, {"max_length": 10, "n_head": 3},
              {"max_length": 10, "n_head": 2, "dropout": 0.3})),
    Exercise("ex4_mha", "04_multihead_attention.ipynb", "ex4_mha", "MultiHeadAttention",
             "models.attention:MultiHeadAttention",
             ({"n_embd": 6, "n_head": 3}, {"n_embd": 6, "n_head": 2, "dropout": 0.3}), layer_width=6),
    Exercise("ex5", "05_transformer_encoder.ipynb", "ex5_encoder", "TransformerEncoderModel",
             "models.attention:TransformerEncoderModel",
             ({"max_length": 10, "n_head": 2, "n_layer": 1, "dropout": 0.0},
              {"max_length": 10, "n_head": 2, "n_layer": 3, "d_ff": 10, "dropout": 0.0},
              {"max_length": 10, "n_head": 3, "n_layer": 2, "dropout": 0.3, "activation_name": "gelu"})),
]}


def exercises_of(notebook: str) -> list[Exercise]:
    """The exercises of one notebook (by file name), in order.

    >>> [e.key for e in exercises_of("03_self_attention.ipynb")]
    ['ex3', 'ex3_head']
    """
    return [e for e in EXERCISES.values() if e.notebook == notebook]
