"""pytest set-up shared by the unit tests and nbval.

nbval compares the outputs of cells tagged ``# NBVAL_CHECK_OUTPUT``; progress bars and
warnings go to stderr and differ from run to run, so stderr is left out of the comparison.

A local Hugging Face hub (``tests/hub.py``) serves tiny test models, started once per
session on first use: the ``local_hub`` fixture sends one unit test's downloads to it,
and before nbval starts the kernel of a notebook that reads ``LABKIT_HUB_MODELS`` (06
and 07), this process points ``HF_ENDPOINT`` at it and names its models in that variable
(kernels inherit the environment), so those notebooks use them in place of the public
ones. A ``LABKIT_HUB_MODELS`` set beforehand is kept, and then no hub is started for them.
"""
import functools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

try:
    from nbval.plugin import IPyNbCell
except ImportError:  # nbval not installed: nothing to patch
    IPyNbCell = None


def _without_stderr(outputs):
    return [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


if IPyNbCell is not None:
    _compare_outputs = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        return _compare_outputs(self, _without_stderr(test), _without_stderr(ref), skip_compare)

    IPyNbCell.compare_outputs = compare_outputs


_HUB = {}   # this session's local hub, its folder, and the notebooks' environment patch


def _local_hub():
    """The session's local hub, its test repos built on first use."""
    if "hub" not in _HUB:
        from tests.hub import LocalHub, build_test_repos

        _HUB["folder"] = Path(tempfile.mkdtemp(prefix="labkit-hub-"))
        _HUB["hub"] = LocalHub(build_test_repos(_HUB["folder"] / "repos"))
    return _HUB["hub"]


@pytest.fixture
def local_hub(monkeypatch):
    """The local hub (``tests.hub.LocalHub``), huggingface_hub sent to it for this test."""
    hub = _local_hub()
    hub.use(_HUB["folder"] / "home", monkeypatch)
    return hub


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before nbval starts a notebook's kernel: the local hub, if the notebook asks for models."""
    if "patch" in _HUB or os.environ.get("LABKIT_HUB_MODELS") or not _reads_hub_models(item.path):
        return
    hub, patch = _local_hub(), pytest.MonkeyPatch()
    _HUB["patch"] = patch
    hub.use(_HUB["folder"] / "kernels", patch)
    patch.setenv("LABKIT_HUB_MODELS", hub.hub_models())


@functools.lru_cache(maxsize=None)
def _reads_hub_models(path):
    """Whether ``path`` is a notebook whose code reads ``LABKIT_HUB_MODELS``."""
    return path.suffix == ".ipynb" and "LABKIT_HUB_MODELS" in path.read_text(encoding="utf-8")


def pytest_unconfigure(config):
    """Stop the local hub and remove its folder."""
    if "patch" in _HUB:
        _HUB.pop("patch").undo()
    if "hub" in _HUB:
        _HUB.pop("hub").close()
        shutil.rmtree(_HUB.pop("folder"), ignore_errors=True)
