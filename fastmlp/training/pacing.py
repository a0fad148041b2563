"""How many batches each trainer call runs, so that calls last about the same short time.

Python acts on Ctrl-C only between calls into compiled code, so ``fit`` keeps those calls
short (:data:`fastmlp.training.loop.CALL_SECONDS`); :class:`Pacer` turns that duration into a
number of batches from the time per batch measured so far.
"""

from __future__ import annotations


class Pacer:
    """Chooses how many batches a trainer call runs, so that calls last about
    ``call_seconds``, from the time per batch measured so far.

    Parameters
    ----------
    limit : int
        Batches in one epoch. The first call runs at most 8 of them; a call with a progress
        bar at most a 50th, so that the bar moves.
    call_seconds : float
        Target duration of one call.
    """

    def __init__(self, limit, call_seconds):
        self.per_batch = None
        self.limit = limit
        self.call_seconds = call_seconds
        self.first = max(1, min(limit, 8))

    def chunk(self, with_progress):
        """Batches for the next call; ``with_progress`` keeps a progress bar moving."""
        if self.per_batch is None:
            size = self.first  # the first call also compiles: keep it small
        else:
            size = max(1, int(self.call_seconds / max(self.per_batch, 1e-9)))
        return size if not with_progress else min(size, max(1, self.limit // 50))

    def measured(self, batches, seconds):
        """Record that a call of ``batches`` batches took ``seconds``."""
        if batches:
            self.per_batch = seconds / batches
