"""Accounts, who people are and what proves it: users.py creates, authenticates and updates accounts (a
profile save recomputes the taste vector); tokens.py creates, lists and revokes API tokens and finds
the user a presented token belongs to; audit.py records admin actions (who did what to which song or
user, when, how) and reads back the latest.
"""
