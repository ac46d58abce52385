"""Recommendation core: taste vectors and engines, with no Flask and no database."""
