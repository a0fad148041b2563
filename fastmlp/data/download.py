"""Download files with checksum verification and atomic writes.

A file is streamed into a temporary ``.part`` file in the destination folder, its length and
checksums are verified, and only then is it renamed into place with ``os.replace``. Whatever
goes wrong (HTTP error, dropped connection, timeout, wrong checksum, Ctrl-C) the temporary
file is removed, so the destination never holds half a file.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

from .._version import __version__

DEFAULT_TIMEOUT = 30.0  # seconds without a byte before a mirror is given up
_CHUNK = 1 << 16
_SCHEMES = ("http", "https", "file")


class DownloadError(OSError):
    """A file could not be downloaded (every mirror failed, or a checksum did not match)."""


class ChecksumError(DownloadError):
    """A downloaded file's checksum differs from the published one."""


def _describe(err):
    """A short, human reason for a failed request."""
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, urllib.error.URLError):
        reason = err.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return "timed out"
        if isinstance(reason, ConnectionRefusedError):
            return "could not connect (connection refused: is the server up?)"
        if isinstance(reason, socket.gaierror):
            return f"could not connect (host name lookup failed: {reason})"
        return f"could not connect ({reason})"
    if isinstance(err, (TimeoutError, socket.timeout)):
        return "timed out while receiving data"
    if isinstance(err, http.client.IncompleteRead):
        return (
            f"truncated download: the connection closed after {len(err.partial)} bytes "
            "of the body"
        )
    if isinstance(err, (http.client.HTTPException, ConnectionError)):
        return f"connection failed ({type(err).__name__}: {err})"
    return f"{type(err).__name__}: {err}"


def _hashers(checksums):
    hashers = {}
    for algorithm in checksums:
        if algorithm not in ("md5", "sha1", "sha256", "sha512"):
            raise ValueError(f"unsupported checksum algorithm {algorithm!r}")
        # md5 here guards against corruption, not attacks: FIPS builds need the flag.
        hashers[algorithm] = hashlib.new(algorithm, usedforsecurity=False)
    return hashers


def fetch_url(url, dest, *, checksums, timeout=DEFAULT_TIMEOUT, progress=True):
    """Download ``url`` to ``dest`` atomically, verifying length and checksums.

    Parameters
    ----------
    url : str
        An ``http``, ``https`` or ``file`` URL.
    dest : str or os.PathLike
        The final path; its folder is created if needed.
    checksums : dict of str to str
        Expected hex digests by algorithm, e.g. ``{"md5": "...", "sha256": "..."}``. Every
        one must match. Pass an empty dict to skip verification (not recommended).
    timeout : float, default 30
        Seconds to wait for the connection and for each read.
    progress : bool, default True
        Show a tqdm progress bar.

    Returns
    -------
    pathlib.Path
        ``dest``, complete and verified.

    Raises
    ------
    DownloadError
        The server could not be reached, answered with an HTTP error, sent fewer bytes than
        it announced, or timed out; :class:`ChecksumError` for a digest mismatch. The
        destination is left untouched and no temporary file remains.
    """
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in _SCHEMES:
        raise DownloadError(f"{url}: unsupported URL scheme {scheme!r}; use http, https or file")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    hashers = _hashers(checksums)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            received, expected = _stream(url, out, hashers, timeout, progress, dest.name)
            out.flush()
            os.fsync(out.fileno())
        if expected is not None and received != expected:
            raise DownloadError(
                f"{url}: truncated download: the server announced {expected} bytes but the "
                f"connection closed after {received}; try again or use another mirror"
            )
        for algorithm, want in checksums.items():
            got = hashers[algorithm].hexdigest()
            if got != want.lower():
                raise ChecksumError(
                    f"{url}: checksum mismatch: {algorithm} of the {received} bytes received "
                    f"is {got}, expected {want}; the mirror serves a different or damaged "
                    "file, so it was not kept"
                )
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def _stream(url, out, hashers, timeout, progress, label):
    request = urllib.request.Request(url, headers={"User-Agent": f"fastmlp/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            received = 0
            with tqdm(
                total=expected, unit="B", unit_scale=True, unit_divisor=1024,
                desc=label, disable=not progress, leave=False,
            ) as bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    for hasher in hashers.values():
                        hasher.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
    except (OSError, http.client.HTTPException) as err:
        if isinstance(err, DownloadError):
            raise
        raise DownloadError(f"{url}: {_describe(err)}") from err
    return received, expected


def fetch_from_mirrors(filename, mirrors, dest_dir, *, checksums, timeout=DEFAULT_TIMEOUT,
                       progress=True):
    """Download ``filename`` from the first mirror that serves it intact.

    Parameters
    ----------
    filename : str
        The file's name, appended to each base URL and used in ``dest_dir``.
    mirrors : sequence of str
        Base URLs ending in ``/``, tried in order.
    dest_dir : str or os.PathLike
        Folder to put the file in.
    checksums, timeout, progress
        As for :func:`fetch_url`.

    Returns
    -------
    pathlib.Path
        The verified file in ``dest_dir``.

    Raises
    ------
    DownloadError
        Every mirror failed; the message lists each URL with its reason.
    """
    if not mirrors:
        raise DownloadError(f"no mirrors configured to download {filename} from")
    failures = []
    for base in mirrors:
        url = base + filename
        try:
            return fetch_url(url, Path(dest_dir) / filename, checksums=checksums,
                             timeout=timeout, progress=progress)
        except DownloadError as err:
            failures.append(str(err))
    reasons = "\n".join(f"  - {reason}" for reason in failures)
    raise DownloadError(f"could not download {filename} from any mirror:\n{reasons}")
