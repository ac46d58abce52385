"""Where the web layer and the core meet the database, one package per area; callers import the module
they use (`from ..services.catalog import browse`), as the packages re-export nothing.

- accounts/: users, API tokens, the audit log of admin actions.
- catalog/: the songs the site holds: browsing them, importing Spotify CSV exports into them.
- activity/: what users do with songs (events), their library and history, the songs' fans.
- recommendations/: the lists served, the SQL view the engines read, and the per-process caches
  and models behind them (finished lists, neighbours' liked songs, item model, taste page).
- indexing/: song and user vectors in the vector store, kept in step with SQL.
- admin/: admins changing songs and accounts.
- ops/: background jobs, system status, seeding, the evaluation's split from the database.
- transactions.py: the request's transaction, for web code that never touches the session.
"""
