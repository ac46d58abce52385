"""Recommendations, the engines of app/recommend/ fed from SQL and what keeps them fast: lists.py serves
every list (For you, each approach, popular, similar songs) and falls back to popular songs when the
vectors are down; sql_catalog.py is the CatalogData the engines read; cache.py keeps finished lists per
user; peer_positives.py (neighbours' liked songs) and item_model.py (the fitted item-to-item model) are
kept per process; taste.py builds the taste page (the catalog map, the user's songs on it, moods and
genres by month).
"""
