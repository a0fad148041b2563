"""Training: ``fit`` (:mod:`.loop`) drives one of two trainers with one interface.

- :mod:`.layerwise`: any stack, either backend; each step runs the layers' ops.
- :mod:`.fused`: the common stacks on the Numba path; many steps per compiled call.

Both run a range of batches of one or more epochs per call, return per-epoch sums and can
undo their latest update; the epoch loop, logs, callbacks and the stop on non-finite values
are written once, in :mod:`.loop`.
"""

from .loop import fit

__all__ = ["fit"]
