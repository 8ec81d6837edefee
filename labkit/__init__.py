"""labkit: the helper package behind the sentiment-classification lab notebooks.

The map, in the order a notebook uses them (``tests/test_imports.py`` checks that it lists
every module, and that no two modules import each other):

Settings and parameters
    settings (every ``LABKIT_*`` variable, the device), params (a notebook's parameters, checked).
Data
    datasets (one record per built-in dataset: labels, files, loader, headline metric),
    data (loading datasets and a user's files, downloads, splits), textfiles (decoding a
    user's file, rows and delimiters), tables (a user's file as ``text`` / ``label`` columns),
    text (cleaning and tokenisation), embeddings (word vectors, vocabulary), batching
    (padded batches with lengths, length-bucketed samplers).
Models and training
    models (baseline, rnn, attention, layers, masking: every classifier's
    ``forward(x, lengths)``), schedules (learning-rate schedules), training (the loop:
    fit, early stopping, class weights, predict), checkpoints (a trained model's one home:
    its tokenising recipe, ``encode_texts``, save / load, ``evaluate_checkpoint``).
Experiments and results
    pipeline (prepare a task, run / re-run an experiment, cross-validation), comparison
    (choices between runs on validation), evaluation (trained models on new texts and
    handed-out test files), metrics, plots, experiments (the run registry, leaderboards),
    readme (the README's results table), anchors (published results), saved_models
    (notebook 09: every saved model tested again), tuning (Optuna studies, notebook 08).
The lab's exercises
    exercises (what the visible tests use: tiny word vectors, random batches, a sentence
    classifier around one attention layer, and the in-notebook checks). The instructors'
    tools sit in their own package, course (the student edition, grading in sandboxes,
    written answers, feedback, Gradescope); no lab notebook imports it.
Pretrained transformers
    hf (hub, labels, splits, pretrained: notebook 06; finetune: notebook 07).
Command line
    cli and ``__main__`` (``python -m labkit train | evaluate | predict``).
"""
__version__ = "0.1.0"
