"""Every ``LABKIT_*`` environment variable, read in one place, and the device choice.

The package reads its environment only through this module, and each notebook's
parameters cell reads its defaults through :func:`env` (so CI and papermill can set
them). :data:`VARIABLES` lists them all with what they mean; the README's table is
the same list.

Values are read when asked for, never at import time, so a test (or a student) can
change a variable and see the effect at once.

>>> import os
>>> os.environ["LABKIT_SEED"] = "7"
>>> env("LABKIT_SEED", 42)
7
>>> del os.environ["LABKIT_SEED"]
>>> env("LABKIT_SEED", 42), env("LABKIT_DATASETS", ["mr", "semeval2017a"])
(42, ['mr', 'semeval2017a'])
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

VARIABLES = {
    # notebook parameters (read by each notebook's parameters cell)
    "LABKIT_DATASETS": "datasets to run, comma-separated; name=path[?text=C&label=C] for a file of your own",
    "LABKIT_FAST": "1: subsampled data and 2 epochs (what CI runs)",
    "LABKIT_SEED": "seed for every experiment",
    "LABKIT_EPOCHS": "maximum epochs (early stopping decides the rest)",
    "LABKIT_TEST_PATH": "a test file to evaluate the trained models on",
    "LABKIT_TEST_DATASET": "whose labels that test file uses",
    "LABKIT_VECTORS": "word vectors for 00-05: glove-6b-50d, or a GloVe / word2vec / fastText text file",
    "LABKIT_THREADS": "torch threads for notebook 07's fine-tuning",
    "LABKIT_HUB_MODELS": "hub models for 06 / 07 instead of hf.PRETRAINED / hf.FINE_TUNE, "
                         "comma-separated, each [dataset:]id[=label/label/...]",
    # package behaviour
    "LABKIT_DATA_DIR": "folder that holds the dataset files",
    "LABKIT_DATA_URL": "another URL prefix to download the datasets from",
    "LABKIT_CACHE_DIR": "downloads and parsed word vectors (default ~/.cache/labkit)",
    "LABKIT_RUNS": "the run registry file (default results/runs.jsonl)",
    "LABKIT_DEVICE": "force a device: cpu, cuda, cuda:N or mps",
    "LABKIT_QUIET": "1: no progress bars",
}


def _raw(name: str) -> str | None:
    if name not in VARIABLES:
        raise KeyError(f"{name} is not a labkit variable; known: {', '.join(VARIABLES)}")
    value = os.environ.get(name, "").strip()
    return value or None


TRUE, FALSE = ("1", "true", "yes", "on", "y"), ("0", "false", "no", "off", "n")


def env(name: str, default):
    """The variable ``name`` parsed like ``default`` (bool, int, float, list or str).

    An unset or empty variable gives ``default``. Lists are comma-separated; booleans
    are 1/true/yes/on/y or 0/false/no/off/n, in any case.

    >>> import os
    >>> os.environ["LABKIT_FAST"] = "maybe"
    >>> env("LABKIT_FAST", False)
    Traceback (most recent call last):
    ValueError: LABKIT_FAST='maybe' is not a yes/no value; give 1 or 0 (also true/false, yes/no, on/off)
    >>> del os.environ["LABKIT_FAST"]

    Args:
        name: a name from :data:`VARIABLES`, e.g. ``"LABKIT_EPOCHS"``.
        default: the value when unset; its type says how to parse the text.

    Raises:
        ValueError: a value that does not parse like ``default``.
    """
    value = _raw(name)
    if value is None:
        return default
    if isinstance(default, bool):
        return _yes_no(name, value)
    if isinstance(default, (int, float)):
        try:
            return type(default)(value)
        except ValueError:
            raise ValueError(f"{name}={value!r} is not a number; unset it or give e.g. {default}") from None
    if isinstance(default, (list, tuple)):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _yes_no(name: str, value: str) -> bool:
    """``value`` as a boolean; anything but the usual spellings is an error."""
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise ValueError(f"{name}={value!r} is not a yes/no value; give 1 or 0 "
                     "(also true/false, yes/no, on/off)")


def quiet() -> bool:
    """No progress bars (``LABKIT_QUIET=1``; a yes/no value like ``LABKIT_FAST``)."""
    return env("LABKIT_QUIET", False)


def cache_dir() -> Path:
    """``LABKIT_CACHE_DIR``, else ``~/.cache/labkit``."""
    value = _raw("LABKIT_CACHE_DIR")
    return Path(value).expanduser() if value else Path.home() / ".cache" / "labkit"


def data_dir() -> Path | None:
    """``LABKIT_DATA_DIR``, or None when unset."""
    value = _raw("LABKIT_DATA_DIR")
    return Path(value).expanduser() if value else None


def data_url() -> str | None:
    """``LABKIT_DATA_URL``, or None when unset."""
    return _raw("LABKIT_DATA_URL")


def runs_file() -> Path | None:
    """``LABKIT_RUNS``, or None when unset."""
    value = _raw("LABKIT_RUNS")
    return Path(value).expanduser() if value else None


def devices_present() -> list[str]:
    """The devices this machine has: ``cpu``, then ``cuda`` and ``cuda:0``... and ``mps`` when present.

    >>> devices_present()[0]
    'cpu'
    """
    present = ["cpu"]
    if torch.cuda.is_available():
        present += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        present.append("mps")
    return present


def pick_device(prefer: str | torch.device | None = None) -> torch.device:
    """CUDA if present, then Apple's MPS, then the CPU.

    Args:
        prefer: a device to use instead; else ``LABKIT_DEVICE`` when set.

    Raises:
        ValueError: ``prefer`` (or ``LABKIT_DEVICE``) is not cpu, cuda, cuda:N or mps, or
            is not on this machine; the message lists the devices it has.
    """
    if prefer:
        return _checked_device(prefer, "device")
    if _raw("LABKIT_DEVICE"):
        return _checked_device(_raw("LABKIT_DEVICE"), "LABKIT_DEVICE")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _checked_device(value: str | torch.device, source: str) -> torch.device:
    """``value`` as a device, if it is a known one and this machine has it.

    Args:
        value: e.g. ``"cuda:1"``.
        source: where it came from, for the message: ``"LABKIT_DEVICE"`` or ``"device"``.
    """
    text = str(value).strip().lower()
    try:
        device = torch.device(text)
    except RuntimeError:
        device = None
    known = device is not None and (device.type == "cuda" or
                                    (device.type in ("cpu", "mps") and device.index is None))
    present = devices_present()
    if known and str(device) in present:
        return device
    fix = f"unset {source}, or give" if source == "LABKIT_DEVICE" else "give"
    problem = "not on this machine" if known else "unknown device"
    raise ValueError(f"{source}={str(value)!r}: {problem}; this machine has: {', '.join(present)}. "
                     f"Fix: {fix} one of those")


def device_name(device: torch.device | str) -> str:
    """A readable name for the run registry, e.g. ``cuda (NVIDIA H100 80GB HBM3)``."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type
