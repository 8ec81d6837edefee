"""Sentence classifiers; every one has ``forward(x, lengths) -> logits``."""
from .baseline import BaselineDNN

MODELS = {"BaselineDNN": BaselineDNN}

__all__ = ["BaselineDNN", "MODELS"]
