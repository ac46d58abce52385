"""Command-line tools registered on the app: `flask seed ...`."""


def register(app):
    """Attach the command groups to the app's CLI."""
    from .seed import seed

    app.cli.add_command(seed)
