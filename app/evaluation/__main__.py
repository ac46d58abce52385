"""`python -m app.evaluation`: the file evaluation (app/evaluation/run_files.py; `--help` for its options)."""

import sys

from .run_files import main

if __name__ == "__main__":
    sys.exit(main())
