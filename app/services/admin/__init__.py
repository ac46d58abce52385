"""Administration, what admins change from the pages, the API or the CLI, each change audited: songs.py
adds, edits and deletes songs (SQL first, then the vector index, which may lag but is never lost);
users.py creates and searches accounts, shows their activity counts, and promotes, demotes, deactivates
and reactivates them, never the last active admin.
"""
