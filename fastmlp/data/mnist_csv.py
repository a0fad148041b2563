"""Read MNIST-style CSV files (the Kaggle "Digit Recognizer" layout).

``train.csv`` has a header ``label,pixel0,...,pixel783`` and one image per row, the label
first; ``test.csv`` has the same without the label column. Header-less files with 785 or 784
columns (label + pixels, or pixels only) are read the same way.
"""

from __future__ import annotations

import gzip
import numbers
import zlib
from pathlib import Path

import numpy as np


class CSVFormatError(ValueError):
    """An MNIST-style CSV file has the wrong columns or values."""


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _open_text(path):
    with open(path, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    # utf-8-sig drops the byte-order mark that spreadsheet exports put in front of the header.
    if compressed:
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


class _Layout:
    """Column naming and line numbers, for messages that point at the offending cell."""

    def __init__(self, where, n_pixels, has_labels, line_nos):
        self.where = where
        self.n_pixels = n_pixels
        self.has_labels = has_labels
        self.n_cols = n_pixels + int(has_labels)
        self.line_nos = line_nos  # line number of each non-blank data row

    def column(self, j):
        if self.has_labels:
            return "label" if j == 0 else f"pixel{j - 1}"
        return f"pixel{j}"

    def diagnose(self, rows):
        """Raise for the first malformed row after the fast parser refused the file."""
        data = (r for r in rows if r.strip())
        for line_no, line in zip(self.line_nos, data):
            cells = line.rstrip("\r\n").split(",")
            if len(cells) != self.n_cols:
                labels = "label + " if self.has_labels else ""
                raise CSVFormatError(
                    f"{self.where}: line {line_no} has {len(cells)} columns, expected "
                    f"{self.n_cols} ({labels}{self.n_pixels} pixels) like the first row; "
                    "fix or delete that row"
                )
            for j, cell in enumerate(cells):
                if not _is_number(cell):
                    raise CSVFormatError(
                        f"{self.where}: line {line_no}, column {j + 1} ({self.column(j)}): "
                        f"{cell.strip()!r} is not a number; every cell must be an integer"
                    )

    def check_range(self, values, first_col, what):
        """Raise unless every value is an integer in 0..255."""
        bad = ~np.isfinite(values) | (values != np.round(values)) | (values < 0) | (values > 255)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise CSVFormatError(
                f"{self.where}: line {self.line_nos[i]}, column {self.column(j + first_col)}: "
                f"{values[i, j]:g} is not allowed; {what} must be integers in 0..255"
            )


def _read_lines(path, where):
    with _open_text(path) as text:
        first = text.readline()
        skipped = 0  # blank lines before the first row
        while first and not first.strip():
            first = text.readline()
            skipped += 1
        if not first:
            raise CSVFormatError(f"{where} is empty; expected a header and one image per row")
        cells = [c.strip() for c in first.rstrip("\r\n").split(",")]
        # A header is recognised by its first cell alone, so a data row with one bad cell
        # is reported as bad data rather than mistaken for a header.
        header = not _is_number(cells[0])
        # Kept as a list of lines: the fast parser reads it, and on failure the diagnosis
        # walks it again to name the offending line.
        rows = list(text) if header else [first, *text]
    return cells, header, rows, skipped


def read_mnist_csv(path, *, n_pixels=784):
    """Read an MNIST-style CSV file (Kaggle layout), with or without a label column.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv`` file, optionally gzip-compressed (detected from its magic bytes). An
        optional header row names the columns (``label,pixel0,...``); without one, the number
        of columns decides whether labels are present.
    n_pixels : int, default 784
        Pixels per image (28 * 28 for MNIST and Fashion-MNIST), a positive integer.

    Returns
    -------
    X : numpy.ndarray of uint8, shape (n, n_pixels)
        Pixel values 0..255, one image per row.
    y : numpy.ndarray of int64, shape (n,), or None
        The labels (integers 0..255), or None for a file without a label column (Kaggle's
        ``test.csv``).

    Raises
    ------
    ValueError
        ``n_pixels`` is not a positive integer.
    CSVFormatError
        A header or row with the wrong number of columns, a non-numeric cell, a pixel
        outside 0..255 or a non-integer, a negative or non-integer label, or no data rows.
        The message names the line and column.
    """
    if isinstance(n_pixels, bool) or not isinstance(n_pixels, numbers.Integral) \
            or n_pixels < 1:
        raise ValueError(f"n_pixels must be a positive integer (pixels per image, 784 for "
                         f"28x28), got {n_pixels!r}")
    n_pixels = int(n_pixels)
    where = str(path)
    try:
        cells, header, rows, skipped = _read_lines(Path(path), where)
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise CSVFormatError(
            f"{where} is a truncated or corrupt gzip file ({err}); fetch it again"
        ) from None
    except UnicodeDecodeError:
        raise CSVFormatError(
            f"{where} is not a UTF-8 text file; for IDX files use fastmlp.data.read_idx"
        ) from None
    n_cols = len(cells)
    if n_cols not in (n_pixels, n_pixels + 1):
        raise CSVFormatError(
            f"{where}: the first row has {n_cols} columns, expected {n_pixels + 1} "
            f"(label + {n_pixels} pixels) or {n_pixels} (pixels only). Is this an "
            "MNIST-style CSV? For other image sizes pass n_pixels="
        )
    has_labels = n_cols == n_pixels + 1
    if header and has_labels and cells[0].lower() != "label":
        raise CSVFormatError(
            f"{where}: the header has {n_cols} columns, so the first should be 'label', "
            f"got {cells[0]!r}"
        )
    first_line = skipped + (2 if header else 1)
    line_nos = [first_line + k for k, r in enumerate(rows) if r.strip()]
    if not line_nos:
        raise CSVFormatError(f"{where} has a header but no data rows")
    layout = _Layout(where, n_pixels, has_labels, line_nos)
    try:
        table = np.loadtxt(rows, delimiter=",", dtype=np.float32, ndmin=2, comments=None)
    except ValueError as err:
        layout.diagnose(rows)
        raise CSVFormatError(f"{where}: could not parse the rows: {err}") from None
    if table.shape != (len(line_nos), n_cols):
        layout.diagnose(rows)
        raise CSVFormatError(
            f"{where}: parsed shape {table.shape}, expected ({len(line_nos)}, {n_cols})"
        )
    # float32 holds every integer up to 2**24 exactly, so the checks below are exact.
    pixels = table[:, 1:] if has_labels else table
    layout.check_range(pixels, int(has_labels), "pixels")
    X = pixels.astype(np.uint8)
    if not has_labels:
        return X, None
    layout.check_range(table[:, :1], 0, "labels")
    return X, table[:, 0].astype(np.int64)
