"""Where the tests find the datasets: ../shared/data beside the repository, else $LABKIT_DATA_DIR."""
import os
from pathlib import Path


def shared_data_dir() -> Path:
    local = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if local.is_dir():
        return local
    if os.environ.get("LABKIT_DATA_DIR"):
        return Path(os.environ["LABKIT_DATA_DIR"])
    raise RuntimeError("datasets not found: put them in ../shared/data or set LABKIT_DATA_DIR")


DATA_DIR = shared_data_dir()
