"""Where the web layer and the core meet the database."""
