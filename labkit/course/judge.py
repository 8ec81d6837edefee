"""A student's model against labkit's, test by test, from what the probes measured.

Every judgement is made here, in the grader's own process, from numbers: the submission's
process reports what its model computed and never sees what labkit's computes, so nothing a
submission patches can change a verdict. A verdict is "" when the test passes, else a
message that names what went wrong and what to look at.

* ``matches_labkit``: the same logits as labkit's with the same random weights on sentences
  without padding, in evaluation mode and in training mode with a fixed seed (dropout);
* ``padding``: the same logits as labkit's on a padded batch of unequal lengths, and no change
  from more padding;
* ``gradients``: the gradient of every parameter equals labkit's;
* ``pools_before_output``: the output layer sees one vector per sentence;
* ``visible``: the notebook's own test passes, and the model computes something real (one of
  the checks against labkit's passes).
"""
from __future__ import annotations

import torch

from .probes import FULL_BATCH, PADDED_LENGTHS, describe
from .specs import Exercise

__all__ = ["ATOL", "RTOL", "verdicts"]

ATOL, RTOL = 1e-5, 1e-4
REFERENCE_TESTS = ("matches_labkit", "padding", "gradients")


def _difference(got, expected) -> str:
    """"" when close, else how far apart (or how the shapes differ)."""
    if not isinstance(got, torch.Tensor):
        return "no tensor"
    if got.shape != expected.shape:
        return f"shape {tuple(got.shape)} where labkit's is {tuple(expected.shape)}"
    if torch.allclose(got.double(), expected.double(), atol=ATOL, rtol=RTOL):
        return ""
    return f"a difference of up to {(got.double() - expected.double()).abs().max():.3g}"


def _matches(got: dict, expected: dict) -> str:
    if (diff := _difference(got["eval_full"], expected["eval_full"])):
        return (f"with random weights (LayerNorms included), on sentences without padding, the logits "
                f"differ from labkit's: {diff}")
    if (diff := _difference(got["train_full"], expected["train_full"])):
        return (f"in training mode (dropout drawn with a fixed seed) the logits differ from labkit's: {diff}; "
                "apply dropout where labkit's model does, and only there")
    return ""


def _padding(got: dict, expected: dict) -> str:
    if (diff := _difference(got["eval_padded"], expected["eval_padded"])):
        return (f"on a padded batch of sentences of {', '.join(map(str, PADDED_LENGTHS))} words the logits "
                f"differ from labkit's: {diff}; padding must not change a sentence's logits (mask it, read "
                "each sentence up to its length, and keep the batch in its order)")
    if (diff := _difference(got["eval_extra"], got["eval_padded"])):
        return f"three more padding columns at the end change the logits: {diff}"
    return ""


def _gradients(got: dict, expected: dict) -> str:
    for name, grad in expected["grads"].items():
        if name not in got["grads"]:
            return f"the model has no parameter {name}"
        mine = got["grads"][name]
        if grad is not None and mine is None:
            return f"no gradient reaches {name}: is it used in forward, outside torch.no_grad(), not .detach()-ed?"
        if grad is not None and (diff := _difference(mine, grad)):
            return f"the gradient of {name} differs from labkit's: {diff}"
    return ""


def _pools(got: dict, expected: dict) -> str:
    shapes = got["output_inputs"]
    if not shapes:
        return "the output layer (`output`) is never used"
    bad = [s for s in shapes if len(s) != 2 or s[0] not in (len(PADDED_LENGTHS), FULL_BATCH)]
    if bad:
        return (f"the output layer sees inputs of shape {tuple(bad[0])}: pool the words into one vector per "
                "sentence (B, C) first, then apply it")
    return ""


JUDGES = {"matches_labkit": _matches, "padding": _padding, "gradients": _gradients,
          "pools_before_output": _pools}


def verdicts(exercise: Exercise, tests: list[str], student: dict, reference: list[dict]) -> dict[str, str]:
    """test -> "" (passed) or the reason it failed, for one exercise of one submission.

    Args:
        exercise: the exercise.
        tests: the tests that carry points, e.g. ``["visible", "matches_labkit", "padding"]``.
        student: what the submission's process reported: ``cell_error``, ``visible_error`` and
            ``results``, one per config (a probe's dict, or ``{"error": message}``).
        reference: labkit's probe of each config.
    """
    if student.get("cell_error"):
        return {test: f"your cell {exercise.cell} raised {student['cell_error']}" for test in tests}
    out = {}
    for test in tests:
        if test == "visible":
            continue
        judge = JUDGES[test]
        out[test] = ""
        for config, got, expected in zip(exercise.configs, student["results"], reference):
            built = describe(exercise.cls, config, exercise.layer_width)
            message = got["error"] if "error" in got else judge(got, expected)
            if message:
                out[test] = f"{built}: {message}"
                break
    if "visible" in tests:
        if student.get("visible_error"):
            out["visible"] = f"the notebook's test fails: {student['visible_error']}"
        elif not any(out.get(t) == "" for t in REFERENCE_TESTS if t in out):
            out["visible"] = "the notebook's test passes, but the model computes none of labkit's outputs"
        else:
            out["visible"] = ""
    return {test: out[test] for test in tests}
