"""Odd and broken inputs, one row each, as a user meets them: ``python -m labkit train |
evaluate | predict``, the environment and a notebook's parameters, ``load_dataset``.

Each row builds its files in the test, runs one command or call, and says what must come
back: an error that names the problem in the caller's own words (CLI options on the command
line, argument names in Python), or the data read right, with the note on stderr that says
how the file was read. ``tests/test_read_table_cases.py`` holds the same kind of table for
:func:`labkit.tables.read_table` itself.
"""
from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass, field

import pytest

from labkit import cli, data, params, settings
from labkit.tables import DataFormatError

EN = [("a gorgeous witty film", "positive"), ("dull and far too long", "negative"),
      ("a fine cast and a sharp script", "positive"), ("the worst film of the year", "negative"),
      ("a joy from start to end", "positive"), ("boring boring boring", "negative")] * 10
GR = [("μια υπέροχη ταινία", "θετικό"), ("απαίσια ταινία", "αρνητικό"), ("μια ταινία για την Αθήνα", "ουδέτερο"),
      ("πολύ καλή ηθοποιία", "θετικό"), ("κακό σενάριο", "αρνητικό"), ("γυρίστηκε το 2019", "ουδέτερο")] * 10
N = len(EN)     # 60 labelled rows: line N + 2 is the first after them (a header line first)


def csv(rows, header="text,label", sep=","):
    return (header + "\n" if header else "") + "".join(f"{t}{sep}{label}\n" for t, label in rows)


@dataclass
class Case:
    """One input: the files it writes, what it runs, and what must come back.

    ``run`` is a command line (a list; ``{f}`` is the test's folder, ``{ckpt}`` a checkpoint
    trained on English ``negative`` / ``positive`` texts) or a function of the folder.
    ``code`` is the exit status (CLI); ``error`` the exception a function raises; ``out``
    phrases that stdout must hold (or ``lines``: its exact number of lines); ``err`` phrases
    that stderr must hold (CLI errors: on the last line, all else notes about the files).
    """
    run: object
    files: dict = field(default_factory=dict)
    code: int = 0
    error: type | None = None
    out: tuple = ()
    lines: int | None = None
    err: tuple = ()
    env: dict = field(default_factory=dict)


TRAIN = ["train", "--epochs", "1", "--model", "bilstm", "--out", "{f}/m.pt"]
GREEK_HEADER = csv(GR, "κείμενο,συναίσθημα")
CASES = {
    # ---- train: headers, columns and labels judged from the content
    "train-greek-header": Case(TRAIN + ["--data", "{f}/gr.csv"], {"gr.csv": GREEK_HEADER},
                               err=("text column 'κείμενο', label column 'συναίσθημα', 3 labels",)),
    "train-label-spellings-merged": Case(
        TRAIN + ["--data", "{f}/d.csv"],
        {"d.csv": csv(EN[:20] + [("fine", "Positive "), ("bad", "NEGATIVE"), ("ok", "positive")])},
        out=("trained BiLSTM",), err=("labels merged", "'Positive ' -> 'positive'", "2 labels")),
    "train-blank-labels": Case(TRAIN + ["--data", "{f}/d.csv"], {"d.csv": csv(EN + [("meh", ""), ("so so", " ")])},
                               code=2, err=(f"blank labels on lines {N + 2}, {N + 3}", "--drop-blank-labels")),
    "train-blank-labels-dropped": Case(TRAIN + ["--data", "{f}/d.csv", "--drop-blank-labels"],
                                       {"d.csv": csv(EN + [("meh", ""), ("so so", " ")])},
                                       err=("dropped 2 row(s) with a blank label",)),
    "train-missing-label-field": Case(TRAIN + ["--data", "{f}/d.csv"], {"d.csv": csv(EN) + "no label here\n"},
                                      code=2, err=(f"blank label on line {N + 2}",)),
    "train-no-label-column": Case(TRAIN + ["--data", "{f}/t.csv"], {"t.csv": "text\ngreat film\nawful\n"},
                                  code=2, err=("no label column", "--label-column")),
    "train-label-column-by-position": Case(TRAIN + ["--data", "{f}/d.csv", "--label-column", "1"],
                                           {"d.csv": csv(EN, "words,verdict")}, out=("trained",)),
    "train-label-column-out-of-range": Case(TRAIN + ["--data", "{f}/d.csv", "--label-column", "5"],
                                            {"d.csv": csv(EN)}, code=2,
                                            err=("--label-column 5: the file has 2 columns",)),
    "train-text-column-unknown": Case(TRAIN + ["--data", "{f}/d.csv", "--text-column", "review"],
                                      {"d.csv": csv(EN)}, code=2,
                                      err=("no column named 'review' for --text-column",)),
    "train-unknown-dataset": Case(TRAIN + ["--data", "imdb"], code=2, err=("unknown dataset 'imdb'",)),
    "train-missing-vectors": Case(TRAIN + ["--data", "{f}/d.csv", "--vectors", "{f}/none.txt"],
                                  {"d.csv": csv(EN)}, code=2, err=("word-vector file",)),
    "train-out-is-a-folder": Case(["train", "--data", "{f}/d.csv", "--out", "{f}"], {"d.csv": csv(EN)},
                                  code=2, err=("a folder",)),
    "train-out-is-the-data": Case(TRAIN[:-1] + ["{f}/d.csv", "--data", "{f}/d.csv"], {"d.csv": csv(EN)},
                                  code=2, err=("d.csv is the --data file",)),
    "train-out-is-the-test-file-through-a-relative-path": Case(
        TRAIN[:-1] + ["{f}/./t.csv", "--data", "{f}/d.csv", "--test", "{f}/t.csv"],
        {"d.csv": csv(EN), "t.csv": csv(EN[:6])}, code=2, err=("is the --test file",)),
    "train-out-is-a-symlink-to-the-data": Case(lambda f: out_through_a_symlink(f), {"d.csv": csv(EN)}),
    "train-out-is-some-other-file": Case(TRAIN[:-1] + ["{f}/notes.txt", "--data", "{f}/d.csv"],
                                         {"d.csv": csv(EN), "notes.txt": "my notes"}, code=2,
                                         err=("an existing file that is not a labkit checkpoint",)),
    "train-out-replaces-a-checkpoint": Case(lambda f: out_replaces_a_checkpoint(f), {"d.csv": csv(EN)}),
    "predict-checkpoint-with-fewer-labels-than-outputs": Case(lambda f: fewer_labels_than_outputs(f),
                                                              {"d.csv": csv(EN)}),
    "predict-checkpoint-that-is-a-csv": Case(["predict", "{f}/d.csv", "a fine film"],
                                             {"d.csv": csv(EN)}, code=2, err=("not a labkit checkpoint",)),
    "train-out-in-an-unwritable-folder": Case(TRAIN[:-1] + ["/proc/labkit-test/m.pt", "--data", "{f}/d.csv"],
                                              {"d.csv": csv(EN)}, code=2, err=("--out /proc/labkit-test/m.pt: cannot",)),
    "train-negative-seed": Case(lambda f: negative_seed(f), {"d.csv": csv(EN)}),
    "train-one-label": Case(TRAIN + ["--data", "{f}/d.csv"], {"d.csv": csv([(t, "positive") for t, _ in EN])},
                            code=2, err=("every example is labelled 'positive'",)),
    "train-single-example-label": Case(TRAIN + ["--data", "{f}/d.csv"], {"d.csv": csv(EN + [("odd", "neutral")])},
                                       code=2, err=("['neutral'] have a single example", "--test")),
    "train-rare-class-also-in-test": Case(
        TRAIN + ["--data", "{f}/d.csv", "--test", "{f}/t.csv"],
        {"d.csv": csv(EN + [("odd", "neutral")]), "t.csv": csv(EN[:6] + [("odd too", "neutral")])},
        code=2, err=("stratified validation split", "['neutral'] have a single example")),
    "train-test-label-unseen": Case(TRAIN + ["--data", "{f}/d.csv", "--test", "{f}/t.csv"],
                                    {"d.csv": csv(EN), "t.csv": csv(EN[:6] + [("odd", "neutral")])},
                                    code=2, err=("unknown labels 'neutral' (line 8)",)),
    "train-tsv-tab-inside-text": Case(
        TRAIN + ["--data", "{f}/d.tsv"],
        {"d.tsv": "id\tlabel\ttext\n" + "".join(f"{i}\t{label}\t{t}\n" for i, (t, label) in enumerate(EN))
         + "99\tpositive\tgreat film\tand more\n"},
        err=("1 row(s) had more fields than the columns", f"line {N + 2}")),
    "train-tsv-extra-tab-before-label": Case(
        TRAIN + ["--data", "{f}/d.tsv"], {"d.tsv": csv(EN, "text\tlabel", "\t") + "great\tfilm\tand more\n"},
        code=2, err=(f"line {N + 2} has 3 fields, expected 2",)),
    "train-pipes-in-txt": Case(TRAIN + ["--data", "{f}/d.txt"], {"d.txt": csv(EN, "text|label", "|")},
                               err=("text column 'text', label column 'label', 2 labels",)),
    "train-semicolons": Case(TRAIN + ["--data", "{f}/d.csv"], {"d.csv": csv(EN, "text;label", ";")},
                             err=("label column 'label', 2 labels",)),
    "train-text-column-twice": Case(TRAIN + ["--data", "{f}/d.csv"],
                                    {"d.csv": "text,label,text\n" + "".join(f"{t},{label},x\n" for t, label in EN)},
                                    code=2, err=("2 columns are named 'text'",)),
    "train-a-200k-word-quoted-text": Case(
        TRAIN + ["--data", "{f}/d.csv"], {"d.csv": csv(EN) + '"' + "word " * 200_000 + '",positive\n'},
        out=("trained",)),
    "train-cp1252": Case(TRAIN + ["--data", "{f}/d.csv"], {"d.csv": csv(EN + [("café crème", "positive")])
                                                           .encode("cp1252")}, out=("trained",)),
    "train-latin1": Case(TRAIN + ["--data", "{f}/d.csv"], {"d.csv": csv(EN + [("naïve ½", "negative")])
                                                           .encode("latin-1")}, out=("trained",)),
    "train-bom-crlf": Case(TRAIN + ["--data", "{f}/d.csv"],
                           {"d.csv": ("\ufeff" + csv(EN)).replace("\n", "\r\n").encode("utf-8")}, out=("trained",)),
    "train-quoted-newline": Case(TRAIN + ["--data", "{f}/d.csv"],
                                 {"d.csv": csv(EN) + '"two\nlines",positive\n'}, out=("trained",)),
    "train-numeric-labels": Case(TRAIN + ["--data", "{f}/d.csv"],
                                 {"d.csv": csv([(t, str(int(label == "positive"))) for t, label in EN])},
                                 err=("2 labels",)),
    "train-headerless": Case(TRAIN + ["--data", "{f}/d.csv"], {"d.csv": csv(EN, header="")},
                             err=("text column 1 (no header), label column 2 (no header)",)),
    "train-empty-file": Case(TRAIN + ["--data", "{f}/e.csv"], {"e.csv": ""}, code=2, err=("empty file",)),
    "train-unclosed-quote": Case(TRAIN + ["--data", "{f}/d.csv"], {"d.csv": csv(EN[:3]) + '"open,positive\n'
                                                                   + csv(EN[3:], header="")},
                                 code=2, err=('line 5 opens a quote (")',)),
    "train-fast-exact-limits": Case(["train", "--data", "mr", "--fast", "--epochs", "1", "--out", "{f}/m.pt"],
                                    out=("(1,800 texts, 200 for validation)", "held-out test split (500 texts)")),
    # ---- evaluate a saved model on handed-out files
    "evaluate-junk-checkpoint": Case(["evaluate", "{f}/junk.pt", "{f}/t.csv"],
                                     {"junk.pt": "not a model\n", "t.csv": csv(EN)}, code=2,
                                     err=("not a labkit checkpoint",)),
    "evaluate-missing-test-file": Case(["evaluate", "{ckpt}", "{f}/nothing.csv"], code=2, err=("file not found",)),
    "evaluate-unlabelled": Case(["evaluate", "{ckpt}", "{f}/t.csv"], {"t.csv": "text\ngreat film\nawful\n"},
                                code=2, err=("no label column", "predict")),
    "evaluate-other-labels": Case(["evaluate", "{ckpt}", "{f}/t.csv"],
                                  {"t.csv": "text,label\ngreat film,5 stars\nawful,1 star\n"}, code=2,
                                  err=("unknown labels",)),
    "evaluate-another-datasets-labels": Case(
        ["evaluate", "{ckpt}", "{f}/t.csv"], {"t.csv": csv(EN[:4] + [("a film", "neutral")])}, code=2,
        err=("unknown labels 'neutral'", "evaluate a model trained on 'semeval2017a'")),
    "evaluate-other-names-and-spellings": Case(
        ["evaluate", "{ckpt}", "{f}/t.csv"],
        {"t.csv": "Tweet;Feeling\n" + "".join(f"{t};{label.upper() if i % 2 else label.title()}\n"
                                              for i, (t, label) in enumerate(EN))},
        out=(f"({N} texts)", "accuracy"), err=("text column 'Tweet', label column 'Feeling', 2 labels",)),
    "evaluate-cp1252-headerless": Case(["evaluate", "{ckpt}", "{f}/t.txt"],
                                       {"t.txt": csv(EN + [("café", "positive")], header="", sep="\t")
                                        .encode("cp1252")}, out=(f"({N + 1} texts)",)),
    "evaluate-one-class": Case(["evaluate", "{ckpt}", "{f}/t.csv"], {"t.csv": csv(EN[0::2])},
                               out=("accuracy",), err=("no text is labelled 'negative'",)),
    "evaluate-blank-labels": Case(["evaluate", "{ckpt}", "{f}/t.csv"], {"t.csv": csv(EN + [("meh", "")])},
                                  code=2, err=(f"blank label on line {N + 2}", "--drop-blank-labels")),
    "evaluate-blank-labels-dropped": Case(["evaluate", "{ckpt}", "{f}/t.csv", "--drop-blank-labels"],
                                          {"t.csv": csv(EN + [("meh", "")])}, out=(f"({N} texts)",)),
    "evaluate-empty-file": Case(["evaluate", "{ckpt}", "{f}/e.csv"], {"e.csv": ""}, code=2, err=("empty file",)),
    "evaluate-binary-file": Case(["evaluate", "{ckpt}", "{f}/t.csv"], {"t.csv": b"\x00\x01\x02PK\x03\x04" * 50},
                                 code=2, err=("t.csv",)),
    # ---- predict: one line per text on stdout, never one for a header
    "predict-greek-header": Case(["predict", "{ckpt}", "--file", "{f}/t.csv"],
                                 {"t.csv": "κείμενο\n" + "".join(f"{t}\n" for t, _ in GR[:6])}, lines=6,
                                 err=("text column 'κείμενο', no label column",)),
    "predict-pipes": Case(["predict", "{ckpt}", "--file", "{f}/t.txt"], {"t.txt": csv(EN[:3], "text|label", "|")},
                          lines=3),
    "predict-partly-blank-labels": Case(["predict", "{ckpt}", "--file", "{f}/t.csv"],
                                        {"t.csv": csv(EN[:4] + [("meh", "")])}, lines=5, err=("not read",)),
    "predict-headerless-texts": Case(["predict", "{ckpt}", "--file", "{f}/t.txt"],
                                     {"t.txt": "great film\nawful\n"}, lines=2),
    "predict-blank-lines-keep-their-place": Case(["predict", "{ckpt}", "--file", "{f}/t.txt"],
                                                 {"t.txt": "a fine film\n\n   \ndull and far too long\n\nawful\n"},
                                                 lines=6, err=("lines 2, 3, 5 blank: an empty prediction each",)),
    "predict-one-word-first-line-is-a-text": Case(["predict", "{ckpt}", "--file", "{f}/t.txt"],
                                                  {"t.txt": "Brilliant\na dull and far too long film\na gorgeous witty film\n"},
                                                  lines=3, err=("one text per line, 3 lines",)),
    "predict-one-column-header-when-asked": Case(["predict", "{ckpt}", "--file", "{f}/t.txt", "--header"],
                                                 {"t.txt": "review\na dull film\na witty film\n"},
                                                 lines=2, err=("2 lines after the header",)),
    "predict-no-texts": Case(["predict", "{ckpt}"], code=2, err=("--file",)),
    "predict-texts-and-file": Case(["predict", "{ckpt}", "fine", "--file", "{f}/t.txt"],
                                   {"t.txt": "great film\n"}, code=2, err=("not both",)),
    "predict-empty-text": Case(["predict", "{ckpt}", "fine", " "], code=2, err=("text 2 is empty",)),
    "predict-unknown-device": Case(["predict", "{ckpt}", "fine"], env={"LABKIT_DEVICE": "tpu"}, code=2,
                                   err=("LABKIT_DEVICE", "cpu")),
    "predict-absent-cuda": Case(["predict", "{ckpt}", "fine"], env={"LABKIT_DEVICE": "cuda:7"}, code=2,
                                err=("LABKIT_DEVICE",)),
    # ---- the environment and a notebook's parameters
    "env-fast-maybe": Case(lambda f: settings.env("LABKIT_FAST", False), env={"LABKIT_FAST": "maybe"},
                           error=ValueError),
    "env-fast-on": Case(lambda f: settings.env("LABKIT_FAST", False) is True, env={"LABKIT_FAST": "on"}),
    "env-seed-word": Case(lambda f: settings.env("LABKIT_SEED", 42), env={"LABKIT_SEED": "forty"},
                          error=ValueError),
    "params-unknown-device": Case(lambda f: params.resolve(["mr"], quiet=True), env={"LABKIT_DEVICE": "tpu"},
                                  error=params.ParameterError),
    "params-dataset-with-columns": Case(
        lambda f: params.parse_datasets([f"gr={f}/gr.csv?text=κείμενο&label=συναίσθημα"])["gr"].text == "κείμενο",
        {"gr.csv": GREEK_HEADER}),
    "params-dataset-column-unknown": Case(
        lambda f: params.parse_datasets([f"gr={f}/gr.csv?text=review"]), {"gr.csv": GREEK_HEADER},
        error=DataFormatError),
    "params-dataset-option-unknown": Case(
        lambda f: params.parse_datasets([f"gr={f}/gr.csv?colour=red"]), {"gr.csv": GREEK_HEADER},
        error=params.ParameterError),
    "load-dataset-blank-labels-api-words": Case(
        lambda f: data.load_dataset(f"{f}/d.csv"), {"d.csv": csv(EN + [("meh", "")])}, error=DataFormatError),
}


def out_through_a_symlink(folder) -> bool:
    """--out names a symlink to the training file: an error, and the file is kept."""
    (folder / "link.pt").symlink_to(folder / "d.csv")
    code = cli.main(TRAIN[:-1] + [str(folder / "link.pt"), "--data", str(folder / "d.csv")])
    return code == 2 and (folder / "d.csv").read_text("utf-8") == csv(EN)


def fewer_labels_than_outputs(folder) -> bool:
    """A checkpoint edited to hold fewer labels than outputs: predict says so and exits 2."""
    import torch

    assert cli.main([a.format(f=folder) for a in TRAIN + ["--data", "{f}/d.csv"]]) == 0
    saved = torch.load(folder / "m.pt", weights_only=True)
    saved["labels"] = saved["labels"][:1]
    torch.save(saved, folder / "m.pt")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(["predict", str(folder / "m.pt"), "a fine film"])
    return code == 2 and "1 labels ['negative'] but the model has 2 outputs" in err.getvalue()


def negative_seed(folder) -> bool:
    """--seed -5: argparse's usage error names --seed and the range (not scikit-learn's random_state)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as stop:
        cli.main([a.format(f=folder) for a in TRAIN + ["--data", "{f}/d.csv", "--seed=-5"]])
    return stop.value.code == 2 and "--seed: '-5' is not a seed: a whole number from 0 to 4294967295" in err.getvalue()


def out_replaces_a_checkpoint(folder) -> bool:
    """Training twice into one --out: the second run replaces the checkpoint and says so."""
    argv = [a.format(f=folder) for a in TRAIN + ["--data", "{f}/d.csv"]]
    first, err = cli.main(argv), io.StringIO()
    with contextlib.redirect_stderr(err):
        second = cli.main(argv)
    return first == second == 0 and "replacing the checkpoint there" in err.getvalue()


def run_case(case: Case, folder, checkpoint, monkeypatch, capsys):
    for name, content in case.files.items():
        path = folder / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, "utf-8")
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    if callable(case.run):
        return case.run(folder)
    argv = [a.format(f=folder, ckpt=checkpoint) for a in case.run]
    return cli.main(argv)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A model trained on English texts labelled ``negative`` / ``positive``."""
    folder = tmp_path_factory.mktemp("ckpt")
    (folder / "train.csv").write_text(csv(EN), "utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LABKIT_RUNS", str(folder / "runs.jsonl"))    # never the project's registry
        patch.delenv("LABKIT_DEVICE", raising=False)
        assert cli.main(["train", "--data", str(folder / "train.csv"), "--epochs", "1",
                         "--out", str(folder / "en.pt")]) == 0
    return folder / "en.pt"


@pytest.fixture(autouse=True)
def registry(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_RUNS", str(tmp_path / "runs.jsonl"))   # never the project's
    for name in ("LABKIT_DEVICE", "LABKIT_FAST", "LABKIT_SEED"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_bad_input_gives_a_clear_error_or_the_right_data(case, tmp_path, checkpoint, monkeypatch, capsys):
    if case.error is not None:
        with pytest.raises(case.error):
            run_case(case, tmp_path, checkpoint, monkeypatch, capsys)
        return
    result = run_case(case, tmp_path, checkpoint, monkeypatch, capsys)
    captured = capsys.readouterr()
    if callable(case.run):
        assert result is not False
        return
    assert result == case.code, captured.err
    errors = [line for line in captured.err.splitlines() if ": error: " in line]
    if case.code == 2:
        assert captured.out == "" and len(errors) == 1 and captured.err.splitlines()[-1] == errors[0]
        assert not re.search(r"\b[a-z_]+=", errors[0]), errors      # CLI options, not Python arguments
    for phrase in case.out:
        assert phrase in captured.out, (phrase, captured.out)
    for phrase in case.err:
        assert phrase in captured.err, (phrase, captured.err)
    if case.lines is not None:
        assert len(captured.out.splitlines()) == case.lines, captured.out


def test_the_table_covers_at_least_fifty_inputs():
    assert len(CASES) >= 50


def test_a_greek_file_with_a_greek_header_trains_evaluates_and_predicts_with_no_column_named(tmp_path, capsys):
    (tmp_path / "gr.csv").write_text(GREEK_HEADER, "utf-8")
    test = "Κείμενο;Ετικέτα\n" + "".join(f"{t} ξανά;{label.upper()}\n" for t, label in GR[:12])
    (tmp_path / "test.csv").write_bytes(test.replace("\n", "\r\n").encode("utf-8-sig"))   # BOM, CRLF, names
    (tmp_path / "new.txt").write_text("κείμενο\n" + "".join(f"{t}\n" for t, _ in GR[:5]), "utf-8")
    model = str(tmp_path / "gr.pt")
    assert cli.main(["train", "--data", str(tmp_path / "gr.csv"), "--epochs", "1", "--out", model]) == 0
    assert cli.main(["evaluate", model, str(tmp_path / "test.csv")]) == 0
    assert cli.main(["predict", model, "--file", str(tmp_path / "new.txt"), "--header"]) == 0
    out, err = capsys.readouterr()
    assert "(12 texts):" in out and "accuracy" in out
    labels = out.strip().splitlines()[-5:]
    assert out.strip().splitlines()[-6].startswith("macro avg")                  # 5 lines for 5 texts
    assert all(line.split("\t")[0] in {"θετικό", "αρνητικό", "ουδέτερο"} for line in labels)
    assert "text column 'κείμενο', label column 'συναίσθημα', 3 labels" in err
    assert "label column 'Ετικέτα', 3 labels" in err and "one text per line, 5 lines after the header" in err


@pytest.mark.parametrize("test_file, message", [
    ("d.csv", "is the training file itself"),
    ("t.csv", "6 of 6 texts of the test file"),
])
def test_a_test_file_that_overlaps_the_training_data_is_warned_of(tmp_path, test_file, message):
    (tmp_path / "d.csv").write_text(csv(EN), "utf-8")
    (tmp_path / "t.csv").write_text(csv([(text.upper(), label) for text, label in EN[:6]]), "utf-8")
    argv = [a.format(f=tmp_path) for a in TRAIN + ["--data", "{f}/d.csv", "--test", f"{{f}}/{test_file}"]]
    with pytest.warns(UserWarning, match=message):
        assert cli.main(argv) == 0


def test_a_separate_test_file_is_not_warned_of(tmp_path, recwarn):
    (tmp_path / "d.csv").write_text(csv(EN), "utf-8")
    (tmp_path / "t.csv").write_text(csv([(f"another {text}", label) for text, label in EN[:6]]), "utf-8")
    assert cli.main([a.format(f=tmp_path) for a in TRAIN + ["--data", "{f}/d.csv", "--test", "{f}/t.csv"]]) == 0
    assert not [w for w in recwarn if "test file" in str(w.message)]
