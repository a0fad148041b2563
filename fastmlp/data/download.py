"""Download files with checksum verification and atomic writes.

A file is streamed into a temporary file in the destination folder, its length and
checksums are verified, and only then is it renamed into place (:mod:`fastmlp._atomic`).
Whatever goes wrong (HTTP error, dropped connection, timeout, wrong checksum, Ctrl-C) the
temporary file is removed, so the destination never holds half a file; one left by a killed
process is removed by the next download of that file.

The stall rule (``timeout``, default 30 s): a mirror is abandoned, and the next one tried,
when it accepts no connection within ``timeout`` seconds, sends nothing for ``timeout``
seconds, or delivers less than :data:`STALL_BYTES` (16 KiB, or the rest of the file) in any
``timeout``-second stretch, like curl's ``--speed-limit``/``--speed-time``. The last case
is noticed when the read under way returns, so a mirror that drips bytes is left between
``timeout`` and twice ``timeout`` after it slowed down, instead of never.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

from .._atomic import atomic_write
from .._validation import check_positive_number
from .._version import __version__

#: Seconds a mirror may take to connect, stay silent, or deliver STALL_BYTES.
DEFAULT_TIMEOUT = 30.0
#: Bytes a mirror must deliver in every ``timeout`` seconds (the rest of the file, if less).
STALL_BYTES = 16 * 1024
_CHUNK = 1 << 16
_SCHEMES = ("http", "https", "file")


class DownloadError(OSError):
    """A file could not be downloaded (every mirror failed, or a checksum did not match)."""


class ChecksumError(DownloadError):
    """A downloaded file's checksum differs from the published one."""


def check_timeout(timeout):
    """Return ``timeout`` as a float if it is a finite number of seconds > 0, else raise.

    Raises
    ------
    TypeError
        Not a number (a string, a bool, None).
    ValueError
        Zero, negative, NaN or infinite.
    """
    return float(check_positive_number(timeout, "timeout (seconds per mirror)"))


class _StallWatch:
    """Raise once a ``timeout``-second stretch brings less than STALL_BYTES."""

    def __init__(self, url, timeout, expected):
        self.url, self.timeout, self.expected = url, timeout, expected
        self.since, self.received_then = time.monotonic(), 0

    def check(self, received):
        now = time.monotonic()
        if now - self.since < self.timeout:
            return
        wanted = STALL_BYTES
        if self.expected is not None:
            wanted = min(wanted, self.expected - self.received_then)
        got = received - self.received_then
        if got < wanted:
            raise DownloadError(
                f"{self.url}: stalled: only {got} bytes arrived in {now - self.since:.1f} s "
                f"(at least {wanted} are expected every {self.timeout:g} s); giving up on "
                "this mirror")
        self.since, self.received_then = now, received


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
        Seconds to wait for the connection, for any byte, and for each STALL_BYTES (see
        the stall rule above); a finite number > 0.
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
        it announced, timed out or stalled; :class:`ChecksumError` for a digest mismatch.
        The destination is left untouched and no temporary file remains.
    TypeError, ValueError
        ``timeout`` is not a finite number of seconds > 0.
    """
    timeout = check_timeout(timeout)
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in _SCHEMES:
        raise DownloadError(f"{url}: unsupported URL scheme {scheme!r}; use http, https or file")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    hashers = _hashers(checksums)
    with atomic_write(dest, "download") as out:
        # Raising inside the block removes the temporary file and leaves dest untouched.
        received, expected = _stream(url, out, hashers, timeout, progress, dest.name)
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
    return dest


def _stream(url, out, hashers, timeout, progress, label):
    request = urllib.request.Request(url, headers={"User-Agent": f"fastmlp/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            received = 0
            watch = _StallWatch(url, timeout, expected)
            # read1 returns whatever arrived: read(n) would wait for all n bytes, one
            # dripped byte per socket timeout, and never notice a stall.
            read = getattr(response, "read1", response.read)
            with tqdm(
                total=expected, unit="B", unit_scale=True, unit_divisor=1024,
                desc=label, disable=not progress, leave=False,
            ) as bar:
                while chunk := read(_CHUNK):
                    out.write(chunk)
                    for hasher in hashers.values():
                        hasher.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
                    watch.check(received)
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
    timeout = check_timeout(timeout)
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
