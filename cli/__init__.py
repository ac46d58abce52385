"""Command-line tools registered on the app: `flask seed ...`, `flask vectors ...`."""


def register(app):
    """Attach the command groups to the app's CLI."""
    from .evaluate import evaluate
    from .seed import seed
    from .users import users
    from .vectors import vectors

    app.cli.add_command(seed)
    app.cli.add_command(vectors)
    app.cli.add_command(users)
    app.cli.add_command(evaluate)
