"""``python -m junheng``: run the command line."""

from junheng.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
