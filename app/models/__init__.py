"""The database models."""

from .activity import ACTIVITY_KINDS, ActivityEvent, UserSong
from .song import Song
from .user import User, utcnow

__all__ = ["ACTIVITY_KINDS", "ActivityEvent", "Song", "User", "UserSong", "utcnow"]
