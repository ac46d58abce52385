"""The catalog, the songs the site holds as the pages and the API see them: browse.py searches, filters,
pages and counts songs and gives a song's JSON, shared by pages, API and caches; stamp.py keeps its
counts under the catalog's stamp (highest song id, newest audit entry); imports.py streams
Spotify CSV exports (read by app/spotify_csv/) into the songs table, idempotent and atomic per batch.
"""
