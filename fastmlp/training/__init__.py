"""Training: ``fit`` (:mod:`.loop`) drives one of two trainers with one interface.

- :mod:`.layerwise`: any stack, either backend; each step runs the layers' ops.
- :mod:`.fused`: the common stacks on the Numba path; many steps per compiled call.

Both run a range of batches of one or more epochs per call, return per-epoch sums and can
undo their latest update; the rest is written once, for both:

- :mod:`.loop`: ``fit`` itself: its arguments checked, the trainer chosen, the callbacks.
- :mod:`.epochs`: the epoch loop, logs, the progress bar and the stop on non-finite values.
- :mod:`.pacing`: how many batches each call runs, so that Ctrl-C is felt at once.
- :mod:`.health`: warnings for runs that stay finite but do not learn.
"""

from .loop import fit

__all__ = ["fit"]
