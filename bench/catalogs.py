"""Larger catalogs for benchmarks: a lyrics-schema CSV repeated to any size."""

import csv


def replicate_csv(source, rows, out_path, rename_first_pass=True):
    """Write `rows` data rows cycling through `source`, renamed so each is a distinct song.

    With rename_first_pass=False the first pass keeps its titles and only the copies are renamed.

    Returns the number of rows in the source.
    """
    with open(source, newline="", encoding="utf-8") as src:
        reader = csv.reader(src)
        header = next(reader)
        body = list(reader)
    title = header.index("song")
    with open(out_path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for n in range(rows):
            row = list(body[n % len(body)])
            if rename_first_pass or n >= len(body):
                row[title] = f"{row[title]} #{n}"
            writer.writerow(row)
    return len(body)
