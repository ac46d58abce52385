"""The database models."""

from .activity import ACTIVITY_KINDS, INTERACTION_COLUMNS, ActivityEvent, UserSong
from .admin import AuditEntry, SeedRun
from .song import Song
from .token import ApiToken
from .user import User, utcnow
from .vectors import SongVector, UserVector, from_blob, to_blob

__all__ = [
    "ACTIVITY_KINDS",
    "INTERACTION_COLUMNS",
    "ActivityEvent",
    "ApiToken",
    "AuditEntry",
    "SeedRun",
    "Song",
    "SongVector",
    "User",
    "UserSong",
    "UserVector",
    "from_blob",
    "to_blob",
    "utcnow",
]
