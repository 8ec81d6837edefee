"""``python -m labkit train | evaluate | predict``; the commands are in :mod:`labkit.cli`."""
from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
