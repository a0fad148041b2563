"""The ``fastmlp`` command line: ``train``, ``evaluate``, ``predict``, ``bench``, ``gradcheck``.

:func:`main` returns the exit status rather than exiting, so it can be called in-process:
0 on success, 2 on a usage error (argparse's convention), 1 on a failure. Expected failures
(a missing dataset, a damaged model file, input of the wrong width, a diverging run, a
network too large for the memory...) print one line, ``fastmlp: error: ...``, and no
traceback; ``--debug`` adds the traceback. When the reader of the output goes away
(``fastmlp predict ... | head -1``) the command ends quietly with status 141, as a Unix tool
stopped by SIGPIPE does.

One module per job: ``_parser`` (flags and help), ``_data`` (datasets and input files),
``_recipes`` (default settings per dataset), ``_train``, ``_use`` (evaluate, predict),
``_tools`` (bench, gradcheck), ``_report`` (tables and pictures), ``_threads``
(``--threads``).
"""

from __future__ import annotations

import os
import sys

from ._errors import CLIError, UsageError
from ._threads import limited

#: The exit status of a process stopped by SIGPIPE (128 + 13), what ``| head`` leaves.
BROKEN_PIPE_STATUS = 141

__all__ = ["main"]


def main(argv=None, prog="fastmlp"):
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.
    prog : str
        The program name shown in usage and error lines.

    Returns
    -------
    int
        The exit status: 0 success, 1 failure, 2 usage error.
    """
    from ._parser import build_parser

    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version (0) or a usage error (2), already printed
        return 0 if done.code is None else done.code
    try:
        with limited(args):  # --threads: for the whole command, restored after it
            status = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return status
    except BrokenPipeError:
        _discard_stdout()
        return BROKEN_PIPE_STATUS
    except UsageError as err:
        print(f"usage: {prog} {args.command} --help", file=sys.stderr)
        print(f"{prog} {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except MemoryError as err:
        if args.debug:
            raise
        detail = f" ({err})" if str(err) else ""
        print(f"{prog}: error: out of memory{detail}; use less data or a smaller network",
              file=sys.stderr)
        return 1
    except Exception as err:
        message = _expected_failure(err)
        if message is None or args.debug:
            raise
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 1


def _discard_stdout():
    """Point stdout at the null device: what is still buffered for the vanished reader is
    dropped instead of failing again, with a "Broken pipe" message, when Python exits."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (in-process use)
        pass


def _expected_failure(err):
    """The one-line report of a failure a user can fix, or None for a bug (traceback)."""
    from ..serialization import ModelFileError

    if isinstance(err, (CLIError, ModelFileError)):
        message = str(err)
    elif isinstance(err, FileNotFoundError) and err.filename:
        message = f"{err.filename}: no such file"
    elif isinstance(err, OSError) and err.filename:
        message = f"{err.filename}: {err.strerror or err}"
    elif isinstance(err, (ValueError, FloatingPointError, OSError)):
        # The library's own checks (file formats, data values, divergence) raise these
        # with messages written for users.
        message = str(err)
    else:
        return None
    return " ".join(message.split())
