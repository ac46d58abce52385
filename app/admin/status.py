"""The admin landing page and /admin/status: counts, index health, seeding and the audit log."""

from flask import redirect, render_template, url_for

from ..services.ops.status import status_report
from . import bp


@bp.get("/")
def index():
    """The Admin section starts at the status page."""
    return redirect(url_for("admin.status"))


@bp.get("/status")
def status():
    """Counts, vector index against SQL, the last seeding run, reachability and the latest 50 actions."""
    return render_template("admin/status.html", report=status_report(audit_limit=50))
