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
