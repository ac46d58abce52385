"""The evaluation's throwaway vector stores: the one place this package creates a store.

The engines (app/recommend/) only ever use the store they are handed; the evaluation hands them one
of these, filled from its split and deleted with its folder, so the app's index is never opened.
"""

from collections.abc import Callable
from pathlib import Path

from ..vectors import VectorStore, create_vector_store


def temporary_stores(folder: str | Path) -> Callable[[], VectorStore]:
    """A factory of empty Qdrant Edge stores, each in a folder of its own under `folder`.

    The fit and the evaluation each build one; neither ever opens the app's index.
    """
    counter = iter(range(1_000_000))
    return lambda: create_vector_store(vectors_path=str(Path(folder) / f"vectors-{next(counter)}"))
