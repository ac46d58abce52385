"""Column types the models share."""

import sqlalchemy as sa

# Ids are BIGINT on PostgreSQL: the app accepts ids up to 2**63 - 1 (app/limits.py, SQLite's
# INTEGER), and PostgreSQL's INTEGER stops at 2**31 - 1, so a larger id in a lookup raised a
# DataError (a 500) where it should find nothing (a 404). SQLite keeps INTEGER: only an
# "INTEGER PRIMARY KEY" is the rowid alias that numbers new rows.
DbId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
