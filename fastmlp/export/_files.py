"""Writing an exported file atomically: the old file or the complete new one, never half."""

from __future__ import annotations

import os
import secrets


def write_atomically(path, data):
    """Write the bytes ``data`` to ``path`` through a temporary file renamed over it.

    Parameters
    ----------
    path : str or path-like
    data : bytes

    Raises
    ------
    OSError
        The folder is missing or not writable, or ``path`` is a folder; the message names
        ``path``, never the temporary file.
    """
    shown = os.fspath(path)
    if os.path.isdir(shown):
        raise IsADirectoryError(21, "is a directory; give the file a name", shown)
    target = os.path.realpath(shown)  # a symbolic link keeps pointing at the updated file
    tmp = os.path.join(os.path.dirname(target),
                       f".{os.path.basename(target)}.{secrets.token_hex(6)}.fastmlp-tmp")
    try:
        # 0o666 under the umask, as any new file; tempfile's 0600 would survive the rename.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as err:
        raise type(err)(err.errno, err.strerror, shown) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
