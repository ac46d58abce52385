"""Progress bars that show on a terminal and stay quiet in logs and tests."""

import sys

from tqdm import tqdm


def progress_bar(total, description, unit="it", unit_scale=False):
    """A tqdm bar on stderr, shown only when stderr is a terminal."""
    return tqdm(
        total=total,
        desc=description,
        unit=unit,
        unit_scale=unit_scale,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        dynamic_ncols=True,
        leave=False,
    )
