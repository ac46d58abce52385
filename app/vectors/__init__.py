"""Vector stores: Qdrant Edge embedded in this process, or qdrant-client (server or local mode)."""

from pathlib import Path

from .base import DENSE, SPARSE, Hit, Point, Range, VectorStore, VectorStoreError, VectorStoreLocked


def create_vector_store(
    qdrant_url: str | None = None,
    qdrant_api_key: str | None = None,
    qdrant_location: str | None = None,
    vectors_path: str | Path | None = None,
) -> VectorStore:
    """The store the settings ask for: a Qdrant server, qdrant-client local mode, or Qdrant Edge."""
    # Imported here so a deployment on one backend never loads the other's library.
    if qdrant_url:
        from .client import ClientVectorStore

        return ClientVectorStore(url=qdrant_url, api_key=qdrant_api_key)
    if qdrant_location:
        from .client import ClientVectorStore

        return ClientVectorStore(location=qdrant_location)
    if not vectors_path:
        raise ValueError("set QDRANT_URL, QDRANT_LOCATION or VECTORS_PATH to choose a vector store")
    from .edge import EdgeVectorStore

    return EdgeVectorStore(vectors_path)


__all__ = [
    "DENSE",
    "SPARSE",
    "Hit",
    "Point",
    "Range",
    "VectorStore",
    "VectorStoreError",
    "VectorStoreLocked",
    "create_vector_store",
]
