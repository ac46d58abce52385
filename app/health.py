"""GET /healthz: whether the database and the vector store answer, for load balancers and compose."""

from flask import Blueprint

from .services.ops.status import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 {"status": "ok"} when both answer, else 503 naming what failed (public, no data)."""
    healthy, body = health()
    return body, 200 if healthy else 503, {"Cache-Control": "no-store"}
