"""Indexing, the vector store kept in step with SQL: vector_collections.py checks or creates the
collections (app/vectors/schema.py); song_vectors.py embeds the catalog's songs, skipping unchanged
texts; user_vectors.py computes users' taste vectors from their activity and stated preferences and
writes them; sync.py compares the index with SQL and repairs it (missing points, orphans, stale
songs). The store and the embedder are the app's extensions (app/extensions.py: vector_store, embedder).
"""
