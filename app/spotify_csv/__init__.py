"""Spotify CSV exports, read before anything reaches the database (standard library only: no Flask, no
SQL). schemas.py names the two schemas and detects them from a header row; parsing.py parses the
value formats; records.py and its compiled twin row_parser.py (with fast_cells.py's cell parsers)
turn a row into a song record; reader.py streams a file with a line number for every problem.
Beside them, what shares their vocabularies: vocab.py (emotions, activity tags and their columns),
validation.py (a song written by an admin), demo.py, demo_text.py and demo_words.py (the generated
demo catalog) and synthetic.py (synthetic users and activity). app/services/catalog/imports.py
writes the records into SQL.
"""
