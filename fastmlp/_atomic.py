"""Atomic file writes: a file is either the old one or the complete new one, never half of each.

The new content goes to a temporary file beside the target, is flushed to disk, then renamed
over the target. The rules that keep this safe for users:

- Errors name the user's path, never the temporary file.
- A symbolic link is followed: its target is updated and the link stays a link.
- Only regular files are replaced. A directory, FIFO, socket or device at the path is refused
  (renaming over ``/dev/null`` as root would turn it into a regular file).
- A read-only file is refused as ``open(path, "w")`` would refuse it, although a rename could
  replace it; a writable one keeps its permission bits.
- Temporary files are named ``.<name>.<pid>-<random>.fastmlp-tmp``. A write removes its own on
  any failure; one left by a killed process is removed by the next write to the same name in
  that folder, once no process with that pid is running (on this machine).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat

_SUFFIX = ".fastmlp-tmp"
#: Characters of the target's name kept in a temporary name (255 is the usual name limit).
_NAME_CHARS = 100


def check_writable(path, what="file"):
    """Raise the error :func:`atomic_write` would raise before writing anything, if any.

    Parameters
    ----------
    path : str or path-like
        Where the file will be written.
    what : str
        How messages call the file (``"model file"``, ``"plot"``).

    Raises
    ------
    OSError
        ``FileNotFoundError`` (missing folder), ``PermissionError`` (folder or file not
        writable), ``IsADirectoryError``, or ``OSError`` for a non-regular file; each names
        ``path``.
    """
    shown, target = _target(path, what)
    probe = _temporary_name(target)
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as err:
        raise _naming(err, shown, what, probe) from None
    os.close(fd)
    os.unlink(probe)


@contextlib.contextmanager
def atomic_write(path, what="file"):
    """Open a binary file that replaces ``path`` only when the ``with`` block succeeds.

    Parameters
    ----------
    path : str or path-like
    what : str
        How messages call the file.

    Yields
    ------
    file object
        Opened for binary writing. On an exception (including ``KeyboardInterrupt``) the
        temporary file is removed and ``path`` is left as it was.
    """
    shown, target = _target(path, what)
    _remove_stale(target)
    tmp = _temporary_name(target)
    try:
        # Not tempfile.mkstemp: its files are private (0600) and the rename would keep that
        # mode; 0o666 gives what any new file gets under the user's umask.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as err:
        raise _naming(err, shown, what, tmp) from None
    try:
        with os.fdopen(fd, "wb") as f:
            with contextlib.suppress(FileNotFoundError):
                os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))  # keep an old file's mode
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            renamed = _naming(err, shown, what, tmp)
            if renamed is not err:
                raise renamed from None
        raise
    _sync_directory(os.path.dirname(target))


def _target(path, what):
    """The path as the user gave it (for messages) and the real file to replace."""
    shown = os.fspath(path)
    if not isinstance(shown, str):
        shown = os.fsdecode(shown)
    if not shown:
        raise FileNotFoundError(errno.ENOENT, f"empty path: give the {what} a name", shown)
    target = os.path.realpath(shown)
    if os.path.islink(target):  # realpath gives up on a loop and returns a link
        raise OSError(errno.ELOOP, "too many levels of symbolic links", shown)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return shown, target
    except OSError as err:
        raise _naming(err, shown, what, target) from None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"is a directory; give the {what} a file name",
                                shown)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"{shown} is {_kind(info.st_mode)}, not a regular file; fastmlp writes "
                      f"a {what} only to a regular file (choose another path)")
    if not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, "permission denied (the file is read-only)", shown)
    return shown, target


def _kind(mode):
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def _naming(err, shown, what, tmp=None):
    """``err`` as the same kind of error about ``shown`` if it is about the write itself.

    System errors about the temporary file (or about no file: a full disk) are renamed to the
    user's path; a plain ``OSError`` without an errno gets the path prepended. Errors of
    other kinds (a library's own ``OSError`` subclass with its message) pass unchanged.
    """
    if err.errno is not None and err.filename in (None, tmp, shown):
        return type(err)(err.errno, err.strerror or os.strerror(err.errno), shown)
    if err.errno is None and type(err) is OSError:
        return OSError(f"cannot write the {what} {shown}: {err}")
    return err


def _temporary_name(target):
    folder, name = os.path.split(target)
    return os.path.join(folder, f".{name[:_NAME_CHARS]}.{os.getpid()}-{secrets.token_hex(6)}"
                                f"{_SUFFIX}")


def _remove_stale(target):
    """Delete temporary files of ``target`` whose writing process no longer runs."""
    folder, name = os.path.split(target)
    prefix = f".{name[:_NAME_CHARS]}."
    try:
        entries = os.listdir(folder)
    except OSError:
        return  # the write itself will report an unusable folder
    for entry in entries:
        if not (entry.startswith(prefix) and entry.endswith(_SUFFIX)):
            continue
        pid = entry[len(prefix):-len(_SUFFIX)].partition("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, entry))


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process, or a number we cannot judge: leave it alone
    return True


def _sync_directory(folder):
    """Make the rename durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.fsync(fd)
    os.close(fd)
