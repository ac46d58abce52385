"""Running CLI work against the vector store: clear errors, and the store released afterwards."""

import functools

import click

from app.services.vector_index import close_vector_store
from app.vectors import VectorStoreError


def uses_vector_store(command):
    """Turn vector store failures into a clear CLI error and close the store when done."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except VectorStoreError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            close_vector_store()

    return wrapper
