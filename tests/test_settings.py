import re
from pathlib import Path

import pytest
import torch

from labkit import settings

ROOT = Path(__file__).resolve().parents[1]


def test_env_parses_like_its_default(monkeypatch):
    monkeypatch.setenv("LABKIT_EPOCHS", "7")
    monkeypatch.setenv("LABKIT_FAST", "true")
    monkeypatch.setenv("LABKIT_DATASETS", " MR , semeval2017a ,")
    assert settings.env("LABKIT_EPOCHS", 20) == 7
    assert settings.env("LABKIT_FAST", False) is True
    assert settings.env("LABKIT_DATASETS", ["mr"]) == ["MR", "semeval2017a"]
    monkeypatch.setenv("LABKIT_EPOCHS", "")
    assert settings.env("LABKIT_EPOCHS", 20) == 20          # empty means unset


def test_env_explains_bad_values_and_unknown_names(monkeypatch):
    monkeypatch.setenv("LABKIT_SEED", "forty-two")
    with pytest.raises(ValueError, match="LABKIT_SEED='forty-two' is not a number"):
        settings.env("LABKIT_SEED", 42)
    with pytest.raises(KeyError, match="not a labkit variable"):
        settings.env("LABKIT_EPOCH", 20)


def test_device_choice_follows_labkit_device(monkeypatch):
    monkeypatch.setenv("LABKIT_DEVICE", "cpu")
    assert settings.pick_device() == torch.device("cpu")
    monkeypatch.delenv("LABKIT_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else None
    assert expected is None or settings.pick_device().type == expected
    assert settings.device_name("cpu") == "cpu"


def test_only_settings_reads_labkit_variables_and_the_readme_lists_them_all():
    readers = [p.relative_to(ROOT).as_posix() for p in (ROOT / "labkit").rglob("*.py")
               if p.name != "settings.py"
               and re.search(r"environ(\.get)?\s*[\[(]\s*[\"']LABKIT_", p.read_text("utf-8"))]
    assert readers == []
    readme = (ROOT / "README.md").read_text("utf-8")
    assert [name for name in settings.VARIABLES if name not in readme] == []


@pytest.mark.parametrize("value, expected", [("1", True), (" Yes ", True), ("ON", True), ("y", True),
                                             ("true", True), ("0", False), ("False", False),
                                             ("no", False), ("off", False), ("N", False)])
def test_booleans_take_the_usual_spellings_in_any_case(monkeypatch, value, expected):
    monkeypatch.setenv("LABKIT_FAST", value)
    assert settings.env("LABKIT_FAST", not expected) is expected


@pytest.mark.parametrize("value", ["maybe", "2", "yess", "t"])
def test_any_other_boolean_is_an_error_not_full_mode(monkeypatch, value):
    monkeypatch.setenv("LABKIT_FAST", value)
    with pytest.raises(ValueError) as err:
        settings.env("LABKIT_FAST", False)
    assert str(err.value) == (f"LABKIT_FAST={value!r} is not a yes/no value; give 1 or 0 "
                              "(also true/false, yes/no, on/off)")


def fake_machine(monkeypatch, cuda=0, mps=False):
    """This machine as if it had ``cuda`` GPUs and Apple's MPS or not."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    monkeypatch.delenv("LABKIT_DEVICE", raising=False)


def test_devices_present_lists_what_the_machine_has(monkeypatch):
    fake_machine(monkeypatch)
    assert settings.devices_present() == ["cpu"]
    fake_machine(monkeypatch, cuda=2)
    assert settings.devices_present() == ["cpu", "cuda", "cuda:0", "cuda:1"]
    fake_machine(monkeypatch, mps=True)
    assert settings.devices_present() == ["cpu", "mps"]


def test_present_devices_are_picked_in_any_case(monkeypatch):
    fake_machine(monkeypatch, cuda=2)
    assert settings.pick_device("cuda:1") == torch.device("cuda:1")
    assert settings.pick_device(torch.device("cuda", 0)) == torch.device("cuda:0")
    monkeypatch.setenv("LABKIT_DEVICE", " CPU ")
    assert settings.pick_device() == torch.device("cpu")
    assert settings.pick_device("cuda") == torch.device("cuda")     # prefer wins over the variable


def test_an_unknown_device_in_the_environment_names_the_variable_and_the_fix(monkeypatch):
    fake_machine(monkeypatch)
    monkeypatch.setenv("LABKIT_DEVICE", "tpu")
    with pytest.raises(ValueError) as err:
        settings.pick_device()
    assert str(err.value) == ("LABKIT_DEVICE='tpu': unknown device; this machine has: cpu. "
                              "Fix: unset LABKIT_DEVICE, or give one of those")


@pytest.mark.parametrize("gpus, device, problem", [
    (0, "cuda", "not on this machine"), (1, "cuda:1", "not on this machine"), (1, "mps", "not on this machine"),
    (1, "cpu:0", "unknown device"), (1, "cuda:x", "unknown device"), (1, "gpu", "unknown device")])
def test_an_absent_or_unknown_device_lists_the_present_ones(monkeypatch, gpus, device, problem):
    fake_machine(monkeypatch, cuda=gpus)
    with pytest.raises(ValueError) as err:
        settings.pick_device(device)
    present = "cpu, cuda, cuda:0" if gpus else "cpu"
    assert str(err.value) == f"device={device!r}: {problem}; this machine has: {present}. Fix: give one of those"
