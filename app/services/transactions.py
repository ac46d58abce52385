"""The request's database transaction, for web code that never touches the session itself."""

from ..extensions import db


def discard_changes() -> None:
    """Roll back whatever the request left unfinished before an error page is rendered.

    After a failed statement PostgreSQL refuses every further query in the transaction, and the
    error page still reads (the signed-in user for the menu); the unfinished change is dropped.
    """
    db.session.rollback()
