"""Running CLI work against the vector store: claimed before any write, clear errors, released afterwards."""

import functools
from collections.abc import Callable
from typing import Any

import click

from app.extensions import vector_store
from app.vectors import VectorStoreError


def claim_vector_store() -> None:
    """Open the store and every collection in it now, before the command writes anything.

    Embedded Qdrant Edge (and qdrant-client's local folder) lets one process hold a shard; a
    running server holds them all, so opening here raises VectorStoreLocked with the message
    the README promises ("in use by another process ... stop it"). Without this, `flask seed
    songs` wrote to SQL and exited 0, and `flask seed all` imported songs and users and only then
    failed at its embedding step. A Qdrant server that does not answer stops the command here
    too. Opened shards stay held until the command ends, so no server starts in between.
    """
    store = vector_store()
    for name in store.collections():
        store.count(name)


def uses_vector_store(command: Callable[..., Any]) -> Callable[..., Any]:
    """Claim the store before the command runs, turn its failures into a clear CLI error, close it after."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            claim_vector_store()
            return command(*args, **kwargs)
        except VectorStoreError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            vector_store.close()

    return wrapper
