"""Activity, what users do with songs and what is read back from it: events.py records plays, likes,
ratings, bookmarks and dislikes (the event log and the per-song state in one transaction) and undoes
them; library.py reads a user's library and the state each song card shows; history.py holds the JSON
API's reads (rows by id, a user's history, state and counts); fans.py ranks the songs liked here by
their fans for the popular list, re-read at most once a minute.
"""
