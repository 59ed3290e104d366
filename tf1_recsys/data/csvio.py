"""Small CSV helpers with errors that name the file and the line (no TensorFlow import)."""
import csv
import os

import numpy as np


class DataError(ValueError):
    """A data file is missing or malformed; the message names the file (and line)."""


def open_csv(path):
    """Opens ``path`` for csv reading; DataError when it does not exist or is a folder."""
    if not os.path.exists(path):
        raise DataError("%s: no such file" % path)
    if os.path.isdir(path):
        raise DataError("%s: is a folder, expected a CSV file" % path)
    return open(path, newline="", encoding="utf-8-sig")  # -sig: a leading byte-order mark is not data


def _rows(path, reader):
    """Iterates ``reader``; DataError naming ``path`` when the file is not UTF-8 text."""
    try:
        yield from reader
    except UnicodeDecodeError as e:
        raise DataError("%s: not UTF-8 text (byte 0x%02x at offset %d); save it as UTF-8"
                        % (path, e.object[e.start], e.start)) from None


def int64_id(text):
    """An integer id that fits int64 (no fractional part, no float notation)."""
    value = int(text)
    if not -2 ** 63 <= value < 2 ** 63:
        raise ValueError("id %s does not fit in int64" % text.strip())
    return value


def finite_float(text):
    value = float(text)
    if not np.isfinite(value):
        raise ValueError("%s is not a finite number" % text.strip())
    return value


def read_rows(path, columns, converters):
    """Reads a CSV with a header row holding ``columns`` (other columns are ignored).

    Args:
      path: the file.
      columns: the required column names.
      converters: one callable per column (e.g. ``int``, ``float``, ``str``).

    Returns:
      a list per column of converted values.

    Raises:
      DataError: missing file or column, or a row that does not convert, naming
        ``path:line``.
    """
    with open_csv(path) as f:
        reader = csv.reader(f)
        rows = _rows(path, reader)
        try:
            header = next(rows)
        except StopIteration:
            raise DataError("%s: empty file, expected a header with %s" % (path, ", ".join(columns))) from None
        header = [h.strip() for h in header]
        missing = [c for c in columns if c not in header]
        if missing:
            raise DataError("%s:1: missing column(s) %s in header %s" % (path, ", ".join(missing), ",".join(header)))
        index = [header.index(c) for c in columns]
        out = [[] for _ in columns]
        for row in rows:
            if not row:
                continue
            try:
                for k, (i, conv) in enumerate(zip(index, converters)):
                    out[k].append(conv(row[i]))
            except (IndexError, ValueError) as e:
                raise DataError("%s:%d: malformed row %r (%s)" % (path, reader.line_num, ",".join(row), e)) from None
    return out


def _label(text):
    value = float(text)
    if value not in (0.0, 1.0):
        raise ValueError("label must be 0 or 1")
    return value


def _score(text):
    value = float(text)
    if not np.isfinite(value):
        raise ValueError("score must be finite")
    return value


SCORE_COLUMNS = ("label", "score", "group")


def read_scores(path):
    """Reads a scores CSV: ``label,score[,group]`` per line, with or without a header.

    A header is recognised when the first line's first field is not a number; its
    columns are then read by name (``label``, ``score`` and optionally ``group``, in
    any order; other columns are ignored). Without a header the columns are taken by
    position. A UTF-8 byte-order mark is ignored.

    Returns:
      ``(labels float64 [N], scores float64 [N], groups np.ndarray [N] of str, or None)``.

    Raises:
      DataError naming ``path:line`` for a malformed row (wrong number of fields, a label
      other than 0/1, a non-numeric or non-finite score, a missing group), a header
      without ``label`` and ``score``, or a file with no rows.
    """
    labels, scores, groups = [], [], []
    width = columns = None
    with open_csv(path) as f:
        reader = csv.reader(f)
        for row in _rows(path, reader):
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            fields = [c.strip() for c in row]
            if columns is None:
                try:
                    float(fields[0])
                    columns = list(range(min(len(fields), 3)))
                except ValueError:
                    columns = _header_columns(path, line, fields)
                    width = len(fields)
                    continue
            if width is None:
                width = len(fields)
                if width not in (2, 3):
                    raise DataError("%s:%d: expected label,score[,group]; got %d fields" % (path, line, width))
            if len(fields) != width:
                raise DataError("%s:%d: expected %d fields like the first row; got %d" % (path, line, width, len(fields)))
            try:
                labels.append(_label(fields[columns[0]]))
                scores.append(_score(fields[columns[1]]))
            except ValueError as e:
                raise DataError("%s:%d: malformed row %r (%s)" % (path, line, ",".join(row), e)) from None
            if len(columns) == 3:
                if not fields[columns[2]]:
                    raise DataError("%s:%d: empty group" % (path, line))
                groups.append(fields[columns[2]])
    if not labels:
        raise DataError("%s: no rows" % path)
    return (np.asarray(labels), np.asarray(scores), np.asarray(groups) if len(columns) == 3 else None)


def _header_columns(path, line, header):
    """Positions of label, score (and group) in a header row; DataError without label and score."""
    names = [h.lower() for h in header]
    missing = [c for c in SCORE_COLUMNS[:2] if c not in names]
    if missing:
        raise DataError("%s:%d: header %s has no column %s; name the columns label,score[,group] or drop "
                        "the header" % (path, line, ",".join(header), " or ".join(missing)))
    return [names.index(c) for c in SCORE_COLUMNS if c in names]


def write_scores(path, labels, scores, groups=None):
    """Writes ``label,score[,group]`` with a header; the inverse of ``read_scores``."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["label", "score"] + (["group"] if groups is not None else []))
        for i in range(len(labels)):
            row = [int(labels[i]), repr(float(scores[i]))]
            if groups is not None:
                row.append(groups[i])
            w.writerow(row)
    return path
