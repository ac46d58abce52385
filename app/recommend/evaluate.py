"""Deprecated: `python -m app.recommend.evaluate` is `python -m app.evaluation`, kept one release as an alias.

It says so on stderr, then runs the same command with the same arguments: same output, same exit status.
The only module in app/recommend/ that reaches app.evaluation (tests/test_architecture.py names it);
delete it in the next release.
"""

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the evaluation is imported only when the alias runs
    from ..evaluation.split import Embedder

NOTICE = (
    "warning: `python -m app.recommend.evaluate` is deprecated and will be removed in the next "
    "release; run `python -m app.evaluation` (same arguments)"
)


def main(argv: list[str] | None = None, embedder: "Embedder | None" = None) -> int:
    """The deprecation notice on stderr, then app.evaluation's command line; returns its exit status."""
    print(NOTICE, file=sys.stderr)
    # Imported here, so importing app.recommend never loads the evaluation.
    from ..evaluation.run_files import main as evaluate

    return evaluate(argv, embedder)


if __name__ == "__main__":
    sys.exit(main())
