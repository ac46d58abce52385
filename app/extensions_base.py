"""What the app's own extension objects share (app/extensions.py creates them; app/vectors/extension.py
and app/embeddings.py define them): finding the app a call is for, and refusing an unbound one.

Its own module, below both: app/extensions.py imports them, so they cannot import it.
"""

from collections.abc import Container

from flask import Flask, current_app


def bound_app(app: Flask | None, bound: Container[Flask], extension: str) -> Flask:
    """`app`, or the current app when it is None, which must be among the apps `extension` was bound to.

    Each app keeps its own state in app.extensions; an app never given to init_app has none, and
    would fail later, far from the cause, without this check.
    """
    app = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]
    if app not in bound:
        raise RuntimeError(f"this app was not given to {extension}.init_app (app/extensions.py)")
    return app
