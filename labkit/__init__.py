"""labkit: the helper package behind the sentiment-classification lab notebooks.

Modules: data (datasets, user test files), text (tokenisation), embeddings (word
vectors, vocab), batching (padding, masks, pooling), models, training (the loop),
metrics, plots, experiments (run registry), readme (the README's results table), params
(a notebook's parameters, checked), pipeline (the steps notebooks repeat), evaluation
(trained models on new texts and handed-out test files).
"""
__version__ = "0.1.0"
