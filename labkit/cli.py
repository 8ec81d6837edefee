"""The command line, ``python -m labkit train | evaluate | predict``: the notebooks' steps
on a user's own files, from a shell.

    python -m labkit train --data reviews.csv --test test.csv --model bilstm --out model.pt
    python -m labkit evaluate model.pt hidden_test.csv
    python -m labkit predict model.pt "a gripping, beautiful film" "dull and far too long"
    python -m labkit predict model.pt --file unlabelled.csv

``train`` runs :func:`labkit.pipeline.prepare_task` and
:func:`labkit.pipeline.run_experiment` (early stopping on validation, patience 5; the run is
logged with notebook ``"cli"``) and saves one checkpoint file. ``evaluate`` and ``predict``
only load that file with :mod:`labkit.checkpoints`: the labels, vocabulary, maximum length
and tokenisation all come from it, and nothing is retrained. A bad input (missing file, bad checkpoint, malformed data
file) prints one line to stderr and exits with status 2.

The heavy imports (torch, pandas) happen inside the commands, so ``--help`` is quick.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["MODEL_CHOICES", "CliError", "build_parser", "cli_words", "main"]

#: ``--model`` name -> (run name, labkit model class, its arguments).
MODEL_CHOICES = {
    "lstm": ("LSTM", "LSTM", {}),
    "bilstm": ("BiLSTM", "LSTM", {"bidirectional": True}),
    "attention": ("SimpleSelfAttention", "SimpleSelfAttentionModel", {}),
    "transformer": ("Transformer", "TransformerEncoderModel", {}),
}
PATIENCE = 5
EPOCHS, FAST_EPOCHS = 20, 2


class CliError(Exception):
    """A problem with the user's input; :func:`main` prints its message and exits with 2."""


# --------------------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    """The ``python -m labkit`` parser with its three subcommands."""
    parser = argparse.ArgumentParser(
        prog="python -m labkit", description="Train a sentiment classifier on your own data, "
        "evaluate it on a test file, or label new texts, without opening a notebook.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_train(commands)
    _add_evaluate(commands)
    _add_predict(commands)
    return parser


def _add_columns(parser: argparse.ArgumentParser, label: bool = True) -> None:
    parser.add_argument("--text-column", metavar="C",
                        help="the column holding the texts: a header name or a position from 0 "
                        "(default: judged from the header and the rows)")
    if label:
        parser.add_argument("--label-column", metavar="C",
                            help="the column holding the labels: a header name or a position from 0 "
                            "(default: judged from the header and the rows)")
        parser.add_argument("--drop-blank-labels", action="store_true",
                            help="drop rows whose label is blank (default: an error listing their lines)")


def _add_train(commands) -> None:
    parser = commands.add_parser(
        "train", help="train a model and save it to one file",
        description="Train a model with early stopping on a validation split (patience "
        f"{PATIENCE}), log the run (notebook 'cli'), save it to --out, and print its test metrics.")
    parser.add_argument("--data", required=True, metavar="PATH_OR_NAME",
                        help="a labelled CSV / TSV / TXT file, or a built-in dataset: mr, semeval2017a")
    parser.add_argument("--test", metavar="PATH",
                        help="a labelled test file (default: the dataset's held-out test split)")
    _add_columns(parser)
    parser.add_argument("--vectors", default="glove-6b-50d", metavar="NAME|PATH",
                        help="word vectors: glove-6b-50d or a GloVe / word2vec text file (default: %(default)s)")
    parser.add_argument("--model", default="bilstm", choices=list(MODEL_CHOICES),
                        help="the classifier (default: %(default)s)")
    parser.add_argument("--epochs", type=_positive, metavar="N",
                        help=f"most epochs; early stopping may stop sooner (default: {EPOCHS}, {FAST_EPOCHS} with --fast)")
    parser.add_argument("--seed", type=_seed, default=42, metavar="S", help="0 to 2**32 - 1; default: %(default)s")
    parser.add_argument("--fast", action="store_true",
                        help="a quick try: 2,000 training and 500 test texts at most, 2 epochs")
    parser.add_argument("--name", help="the run's name in the registry (default: the model's)")
    parser.add_argument("--out", required=True, metavar="FILE.pt", help="where to save the trained model")
    parser.set_defaults(run=train)


def _add_evaluate(commands) -> None:
    parser = commands.add_parser(
        "evaluate", help="test a saved model on a labelled file",
        description="Print accuracy, macro F1 and macro recall of a saved model on a labelled "
        "test file, and the per-class report. Nothing is retrained: the labels, vocabulary, "
        "maximum length and tokenisation come from the checkpoint.")
    parser.add_argument("checkpoint", metavar="CHECKPOINT", help="a file saved by 'train'")
    parser.add_argument("test_path", metavar="TEST_PATH", help="a labelled CSV / TSV / TXT file")
    _add_columns(parser)
    parser.set_defaults(run=evaluate)


def _add_predict(commands) -> None:
    parser = commands.add_parser(
        "predict", help="label new texts with a saved model",
        description="Print one line per text, in input order: the predicted label, a tab, "
        "and its probability.")
    parser.add_argument("checkpoint", metavar="CHECKPOINT", help="a file saved by 'train'")
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="texts to label")
    parser.add_argument("--file", metavar="PATH", help="a CSV / TSV / TXT file of texts (labels are ignored); "
                        "one prediction per line of a text file, per row of a delimited one")
    parser.add_argument("--header", action="store_true",
                        help="the first line of a one-text-per-line --file is a header (default: a text)")
    _add_columns(parser, label=False)
    parser.set_defaults(run=predict)


# --------------------------------------------------------------------------- commands

def train(args: argparse.Namespace) -> None:
    """``train``: prepare the data, train with early stopping, log, save, print the test metrics."""
    from .experiments import runs_path
    from .models import MODELS
    from .pipeline import prepare_task, run_experiment

    out = _output_path(args.out, [("--data", args.data), ("--test", args.test)])
    task = prepare_task(args.data, test=args.test, text=args.text_column, label=args.label_column,
                        vectors=args.vectors, fast=args.fast, seed=args.seed, device=_device(),
                        blank_labels=_blank_labels(args))
    run_name, class_name, model_kwargs = MODEL_CHOICES[args.model]
    epochs = args.epochs or (FAST_EPOCHS if args.fast else EPOCHS)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".labkit-") as folder:
        experiment = run_experiment(
            task, args.name or run_name, MODELS[class_name], model_kwargs,
            {"epochs": epochs, "patience": PATIENCE}, notebook="cli", seed=args.seed,
            checkpoint_dir=folder, registry=runs_path(args.fast, cli=True))
        os.replace(experiment.checkpoint, out)
    fit = experiment.fit
    print(f"trained {experiment.name} on {task.name} ({len(task.train):,} texts, "
          f"{len(task.val):,} for validation): {fit.epochs} epochs, best {fit.best_epoch}, "
          f"{fit.seconds:.1f} s on {fit.device}")
    if task.coverage is not None:
        print(f"{task.vectors_name} covers {task.coverage:.1%} of the training tokens")
    print(f"saved {out}; logged to {runs_path(args.fast, cli=True)}")
    if len(task.test):
        where = f"test file {args.test}" if args.test else "the held-out test split"
        print(f"{where} ({len(task.test):,} texts):")
        print(metrics_block(task.test.labels, experiment.probs.argmax(axis=1), task.labels))


def evaluate(args: argparse.Namespace) -> None:
    """``evaluate``: a saved model's metrics and per-class report on a labelled file."""
    checkpoint = load(args.checkpoint)
    table = read(args.test_path, checkpoint.labels, args.text_column, args.label_column,
                 blank_labels=_blank_labels(args))
    if "label" not in table.columns:
        raise CliError(f"{args.test_path}: no label column, so nothing to evaluate against. Fix: "
                       f"name it (--label-column), or label the texts with 'python -m labkit "
                       f"predict {args.checkpoint} --file {args.test_path}'")
    from .data import encode_labels

    pred = checkpoint.predict(table.text)[1]
    print(f"{args.test_path} ({len(table):,} texts):")
    print(metrics_block(encode_labels(table.label, checkpoint.labels), pred, checkpoint.labels))
    absent = [label for label in checkpoint.labels if label not in set(table.label)]
    if absent:
        print(f"{args.test_path}: note: no text is labelled {', '.join(map(repr, absent))}, so the "
              f"macro averages (macro F1, macro recall) count {len(absent)} class(es) at 0 recall; "
              "read accuracy and the recall of the classes present", file=sys.stderr)


def predict(args: argparse.Namespace) -> None:
    """``predict``: one ``label<TAB>probability`` line per text, in input order."""
    texts = _texts(args)
    checkpoint = load(args.checkpoint)
    given = [text for text in texts if text]
    answers = iter([])
    if given:
        probs, pred = checkpoint.predict(given)
        answers = iter(f"{checkpoint.labels[k]}\t{p:.4f}" for k, p in zip(pred, probs.max(axis=1)))
    for text in texts:
        print(next(answers) if text else "")              # a blank input line: an empty line out


# --------------------------------------------------------------------------- helpers

def load(path):
    """A saved model, rebuilt on the GPU if there is one, else the CPU.

    Args:
        path: a file saved by ``train`` (:func:`labkit.checkpoints.save_checkpoint`).

    Returns:
        The :class:`labkit.checkpoints.Checkpoint`.

    Raises:
        CliError: no such file, or not a labkit checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise CliError(f"{path}: no such checkpoint. Fix: check the path, or save one with "
                       "'python -m labkit train ... --out FILE.pt'")
    from .checkpoints import load_checkpoint

    device = _device()          # a bad LABKIT_DEVICE is its own error, not a bad checkpoint
    try:
        return load_checkpoint(path, device=device)
    except Exception as err:   # torch's unpickling errors, a foreign state dict, a missing key
        reason = f"{type(err).__name__}: {err}"[:160]
        raise CliError(f"{path}: not a labkit checkpoint ({reason}). Fix: give a file saved by "
                       "'python -m labkit train ... --out FILE.pt'") from err


def read(path, labels, text_column=None, label_column=None, *, blank_labels="error"):
    """A user's file as a DataFrame with ``text`` (and ``label`` when it has labels).

    Args:
        path: a CSV / TSV / TXT file (see :func:`labkit.tables.read_table`).
        labels: the label names, matched in any case (None: labels kept as written).
        text_column: the text column's name or position (None: judged from the file).
        label_column: the label column's name or position (None: judged from the file).
        blank_labels: ``"error"`` or ``"drop"`` (``--drop-blank-labels``).
    """
    from .tables import read_table

    return read_table(path, labels=labels, text=text_column, label=label_column,
                      blank_labels=blank_labels)


def metrics_block(y_true, pred, labels) -> str:
    """``accuracy A  macro_f1 F  macro_recall R``, then the per-class report, as printed.

    Args:
        y_true: the true class ids.
        pred: the predicted class ids.
        labels: the label names, in class-id order.
    """
    from .metrics import classification_metrics, report

    m = classification_metrics(y_true, pred, labels)
    line = f"accuracy {m['accuracy']:.4f}  macro_f1 {m['macro_f1']:.4f}  macro_recall {m['macro_recall']:.4f}"
    return line + "\n" + report(y_true, pred, labels).to_string(float_format="{:.4f}".format)


def _blank_labels(args) -> str:
    return "drop" if args.drop_blank_labels else "error"


def _device():
    """The device: env ``LABKIT_DEVICE``, else the best present (chosen once, passed on)."""
    from .settings import pick_device

    return pick_device()


def _positive(value: str) -> int:
    number = int(value) if value.strip().lstrip("+").isdigit() else 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of epochs (1 or more)")
    return number


def _seed(value: str) -> int:
    number = int(value) if value.strip().lstrip("+").isdigit() else -1
    if not 0 <= number < 2 ** 32:
        raise argparse.ArgumentTypeError(f"{value!r} is not a seed: a whole number from 0 to 4294967295")
    return number


def _output_path(out, inputs=()) -> Path:
    """``--out``, checked: never a folder, never one of the inputs, never a file that is not a
    labkit checkpoint (replacing a checkpoint is said on stderr), in a folder it can write."""
    from .checkpoints import is_checkpoint

    out = Path(out)
    if out.is_dir():
        raise CliError(f"--out {out}: a folder. Fix: give a file name, e.g. {out / 'model.pt'}")
    for option, path in inputs:
        if path and Path(path).exists() and out.exists() and os.path.samefile(out, path):
            raise CliError(f"--out {out} is the {option} file: the checkpoint would replace it. "
                           "Fix: give another file name, e.g. model.pt")
    if out.exists():
        if not is_checkpoint(out):
            raise CliError(f"--out {out}: an existing file that is not a labkit checkpoint, so it is kept. "
                           "Fix: give a new file name, or delete that file first")
        print(f"note: --out {out}: replacing the checkpoint there", file=sys.stderr)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CliError(f"--out {out}: cannot create its folder ({err.strerror}). Fix: choose a folder you can write") from None
    if not os.access(out.parent, os.W_OK):
        raise CliError(f"--out {out}: cannot write in {out.parent}. Fix: choose a folder you can write")
    return out


def _texts(args) -> list[str]:
    if bool(args.texts) == bool(args.file):
        raise CliError("give the texts to label, or --file PATH, but not both")
    if args.file:
        from .tables import read_texts

        return read_texts(args.file, text=args.text_column, header=args.header)
    empty = [i for i, text in enumerate(args.texts, start=1) if not text.strip()]
    if empty:
        raise CliError(f"text {empty[0]} is empty. Fix: give each text in quotes, e.g. \"a fine film\"")
    return args.texts


#: How the package's messages name their arguments -> the options that set them here.
CLI_WORDS = [
    (r"pass labels=\[\.\.\.\] naming every label in it, and label=", "pass --label-column "),
    (r",? or pass labels=\[\.\.\.\] with your label names so the column holding them is found", ""),
    (r"read the file with labels=('[^']*') \(in a notebook, TEST_DATASET = '[^']*'\)",
     r"evaluate a model trained on \1 ('python -m labkit train --data \1 ...')"),
    (r"blank_labels='drop'", "--drop-blank-labels"),
    (r"\blabel=", "--label-column "),
    (r"\btext=", "--text-column "),
    (r"\btest=", "--test "),
    (r"\bvectors=", "--vectors "),
]


def cli_words(message: str) -> str:
    """A package message with its Python argument names replaced by this command line's options.

    >>> cli_words("no column named 'x' for label= (...). Fix: pass label=<column name or position>")
    "no column named 'x' for --label-column (...). Fix: pass --label-column <column name or position>"
    """
    import re

    for pattern, replacement in CLI_WORDS:
        message = re.sub(pattern, replacement, message)
    return re.sub(r" +(?=[),;]|\.(?:\s|$))", "", re.sub(r"  +", " ", message)).strip()


def main(argv=None) -> int:
    """Run one command; returns the exit status (2 for a bad input, with one line on stderr)."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
        sys.stdout.flush()
    except BrokenPipeError:       # e.g. `... | head -2`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (CliError, ValueError, OSError, ImportError) as err:   # DataFormatError is a ValueError
        message = cli_words(" ".join(str(err).split()) or type(err).__name__)
        print(f"python -m labkit {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"python -m labkit {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
