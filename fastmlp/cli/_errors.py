"""The two kinds of failure the command line reports without a traceback."""


class CLIError(Exception):
    """An expected failure (missing file or dataset, bad input): one line, exit status 1."""


class UsageError(CLIError):
    """Arguments that parse but make no sense together: usage line, exit status 2."""
