"""Operations, running the site rather than serving a request: background.py runs work off the request
path (one thread per job, one holder across processes); status.py reports each part's health for admins
and load balancers and records seeding runs; seeding.py fills the database with demo users and their
activity; evaluation.py reads the offline evaluation's split from the app's own database.
"""
