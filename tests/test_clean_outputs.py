"""tools/clean_outputs.py: committed outputs without machine paths, ANSI codes, load reports or
empty progress bars (make run cleans every notebook it ran)."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import clean_outputs  # noqa: E402


def notebook(*outputs):
    return {"cells": [{"cell_type": "markdown", "source": "/root/.venv in markdown is fine"},
                      {"cell_type": "code", "outputs": list(outputs)}]}


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


NOISY = notebook(
    stream("Some weights of BertModel were not initialized: [...]\nLOAD REPORT ... MISSING\n", "stderr"),
    stream("\x1b[1mbold\x1b[0m saved to /tmp/tmpab12cd/handed_out.csv\n"),
    stream("Writing model shards:   0%|          | 0/1 [00:00<?, ?it/s]\n", "stderr"),
    {"output_type": "display_data", "data": {"text/plain": "see /work/main/.venv/lib/python3.11/site-packages/x.py"}},
)


def test_problems_name_every_kind_of_noise_and_clean_removes_it():
    found = clean_outputs.problems(NOISY)
    assert {line.split(": ", 1)[1].split(" (")[0] for line in found} == {
        "a library's load report", "an ANSI code", "a machine path", "an empty progress bar"}
    cleaned = clean_outputs.clean(NOISY)
    assert clean_outputs.problems(cleaned) == []
    outputs = cleaned["cells"][1]["outputs"]
    assert [o.get("name") for o in outputs] == ["stdout", None]            # the stderr noise is gone
    assert outputs[0]["text"] == ["bold saved to <tmp>/handed_out.csv\n"]      # lines, as in a notebook file
    assert outputs[1]["data"]["text/plain"] == ["see <site-packages>/x.py"]


def test_ordinary_outputs_are_left_alone():
    quiet = notebook(stream(["mr: 1,800 train / 200 validation / 500 test\n"]),
                     stream(["epochs: 100%|##########| 2/2 [00:01<00:00]\n"], "stderr"))
    assert clean_outputs.problems(quiet) == []
    assert clean_outputs.clean(quiet) == quiet


def test_the_committed_notebooks_outputs_are_clean():
    """What make run committed: no machine path, ANSI code, load report or empty progress bar."""
    root = Path(__file__).resolve().parents[1]
    found = {path.relative_to(root).as_posix(): clean_outputs.problems(json.loads(path.read_text("utf-8")))
             for path in sorted([*root.glob("notebooks/[0-9]*.ipynb"), *root.glob("student/[0-9]*.ipynb")])}
    assert len(found) >= 20
    assert {name: lines for name, lines in found.items() if lines} == {}
