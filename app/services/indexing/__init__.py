"""Indexing, the vector store kept in step with SQL: song_vectors.py opens the store and embeds the
catalog's songs, skipping unchanged texts; user_vectors.py computes users' taste vectors from their
activity and stated preferences and writes them; sync.py compares the index with SQL and repairs it
(missing points, orphans, stale songs).
"""
