"""The audit log of admin actions: who did what to which song or user, when, and how."""

import getpass
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ...extensions import db
from ...models import AuditEntry, User
from ..activity.history import isoformat

VIA = ("page", "api", "cli")


class Actor:
    """Who acts: a signed-in admin (page or API), or whoever runs a CLI command."""

    def __init__(self, user: User | None = None, via: str = "page", name: str | None = None) -> None:
        if via not in VIA:
            raise ValueError(f"via must be one of {', '.join(VIA)}")
        self.user_id = getattr(user, "id", None)
        self.name = name or getattr(user, "username", None) or "unknown"
        self.via = via

    @classmethod
    def cli(cls) -> "Actor":
        """The operator of a CLI command, named by their system account."""
        try:
            who = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (some containers)
            who = "unknown"
        return cls(via="cli", name=f"cli:{who}")


def record(
    actor: Actor,
    action: str,
    target_type: str,
    target_id: int | None,
    target_label: str | None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the session; the caller's commit writes it with the change it describes."""
    entry = AuditEntry(
        actor_id=actor.user_id,
        actor_name=actor.name[:100],
        via=actor.via,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=(target_label or "")[:300],
        details=details or {},
    )
    db.session.add(entry)
    return entry


def latest(limit: int = 50) -> Sequence[AuditEntry]:
    """The most recent entries, newest first."""
    return db.session.scalars(
        sa.select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
    ).all()


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the API shows it."""
    return {
        "id": entry.id,
        "created_at": isoformat(entry.created_at),
        "actor": {"id": entry.actor_id, "name": entry.actor_name},
        "via": entry.via,
        "action": entry.action,
        "target": {"type": entry.target_type, "id": entry.target_id, "label": entry.target_label},
        "details": entry.details or {},
    }
