"""Running the fused kernel on a team of threads: how many, and starting and joining them.

The kernel shares each step out over the members of a team: the batch's rows through the
forward and backward pass (a wide layer's columns instead, :func:`shared_by_columns`), then
the rows of every weight gradient and their update (:mod:`fastmlp.backends._team`). A team
takes the threads BLAS would have used: as many members as BLAS has threads
(``fastmlp.threads(n)`` or ``OPENBLAS_NUM_THREADS`` set that), no more than the cores the
process may run on, each member multiplying on one BLAS thread while the team works.
Networks whose step is tiny train on one thread, with BLAS's threads: there the team's two
barriers a step cost what sharing the passes saves (see :data:`MIN_TEAM_WORK`).
"""

from __future__ import annotations

import contextlib
import os
import threading

import numpy as np

from ..backends import _blas
from ..backends import _train_args as A
from ..backends._team import FAILED

#: Members' shares of columns, rows and parameters start at multiples of this many elements
#: (:func:`fastmlp.backends._team.share`): 64 bytes of float32, one cache line. A power of
#: two: the kernel derives the rows of a weight gradient that fill whole grains from it.
GRAIN = 16

#: Multiply-adds in a step's forward products below which a fit stays on one thread. Measured
#: here (two cores, 2026-12-05, epochs of ``fit(epochs=3)``, a team of two against one thread
#: with BLAS's two), on all 60,000 Fashion-MNIST rows at batch 128, fresh processes
#: alternating, medians of four: 784-16-10, 1.6 million, 47 against 74 ms; 784-32-10, 72
#: against 98; 784-64-10, 115 against 144; 784-128-10, 191 against 228; on 20,000 random rows,
#: two runs each of medians of five: 64-64-10 at batch 128, 0.61 million, 6.3-6.5 against
#: 7.7-7.9 ms; 100-100-10 at batch 64, 0.70 million, 13.0-14.5 against 15.3; 64-256-10 at
#: batch 32, 0.61 million, 24.7-25.2 against 27.1-27.7; 64-64-10 at batch 32, 0.15 million,
#: 8.9-10.5 against 9.2-9.6 (even); 20-16-2 at batch 16, 0.01 million, 6.5-6.7 against 5.2.
MIN_TEAM_WORK = 500_000

#: Elements of packing a member must save per step for a layer to be shared by columns
#: (:func:`shared_by_columns`), about three barriers' worth (a barrier ~6 us, packing ~0.15 ns
#: an element, measured here). Measured on 784-512-512-10 (two cores, 2026-12-05, Fashion-MNIST
#: at batch 128, one process alternating epoch by epoch between the first layer by columns,
#: 249,000 elements saved, and by rows): the same time in the host's quiet phases (ratios of
#: paired epochs 0.96-1.05, median 0.99-1.00), 3-5 % less in its slow ones (0.950-0.972), when the
#: host slows two threads at once (docs/benchmarks.md; ``benchmarks/column_shares.py``). Both
#: hidden layers (the second saves 100,000), or 784-256-128-10's first (58,000), gained
#: nothing measurable in processes alternating.
MIN_COLUMN_SAVING = 150_000


def shared_by_columns(sizes, batch_size):
    """Per layer, 1 where a team shares the layer's units (the columns of its forward product
    and of the input gradient it receives) rather than the batch's rows, else 0.

    Sharing rows, each member multiplies its rows by all of ``W``, and BLAS packs all of
    ``W`` on both: the layer's ``W`` in the forward product, the next layer's in the input
    gradient. Sharing columns, each packs half of them but all ``batch_size`` rows of the
    other operand, and the step meets three more times (the layer's input, its output and
    its gradient are then written by both members). Per member and step that saves
    ``(n_in + n_next) * (n_out - batch_size) / 2`` elements of packing (``n_next``, the next
    layer's width; none above the output layer, which stays shared by rows: the loss is per
    row); columns win above :data:`MIN_COLUMN_SAVING` of them.

    Parameters
    ----------
    sizes : sequence of int, shape (L + 1,)
        The widths, input first.
    batch_size : int

    Returns
    -------
    ndarray of int64, shape (L,)
    """
    flags = np.zeros(len(sizes) - 1, dtype=np.int64)
    for layer in range(len(sizes) - 2):  # not the output layer
        n_in, n_out, n_next = sizes[layer], sizes[layer + 1], sizes[layer + 2]
        flags[layer] = (n_in + n_next) * (n_out - batch_size) // 2 >= MIN_COLUMN_SAVING
    return flags


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def team_size(step_work):
    """How many threads should run a kernel whose step does ``step_work`` forward
    multiply-adds: BLAS's thread count now, at most the usable cores; 1 for a small step,
    or when the kernels' BLAS cannot say or change its count."""
    threads = _blas.blas_threads()
    if threads is None or step_work < MIN_TEAM_WORK:
        return 1
    return max(1, min(threads, _cores()))


@contextlib.contextmanager
def blas_on_one_thread():
    """The kernels' BLAS multiplies on one thread meanwhile; its count comes back after
    (nothing changes where the count cannot be told)."""
    threads = _blas.blas_threads()
    _blas.set_blas_threads(1)
    try:
        yield
    finally:
        if threads is not None:
            _blas.set_blas_threads(threads)


def evaluating_beside(trainer):
    """A context for a fit's own evaluations (its starting loss, each epoch's validation):
    on one BLAS thread when ``trainer`` trains on a team.

    A product on several BLAS threads leaves OpenBLAS's other threads spinning after it
    (for 2**28 cycles, 0.1 s here) on the cores the team then runs on, and a new member was
    then often placed on member 0's core, where it stayed for its whole call: a team's first
    epoch took 250 ms, later ones 180 ms (measured, docs/benchmarks.md). On one thread BLAS
    has no other thread to wake."""
    if getattr(trainer, "team_size", 1) > 1:
        return blas_on_one_thread()
    return contextlib.nullcontext()


def run_as_team(kernel, args, size):
    """``kernel(*args, team)`` on ``size`` threads, this one member 0; its result.

    BLAS multiplies on one thread per member meanwhile (its count comes back after). The
    other members are joined before returning, even when Ctrl-C arrives in between: they
    write into the same arrays, which the caller reads once this returns. Should a member
    fail, the others are released from their barriers (their results are then meaningless)
    and its error is raised.
    """
    sync = np.zeros(8, dtype=np.int64)
    if size == 1:
        return kernel(*args, A.Team(0, 1, GRAIN, sync))
    errors = []

    def member(number):
        try:
            kernel(*args, A.Team(number, size, GRAIN, sync))
        except BaseException as err:  # noqa: BLE001 - handed to the caller, raised there
            errors.append(err)
            sync[FAILED] = 1

    members = [threading.Thread(target=member, args=(m,), name=f"fastmlp-member-{m}",
                                daemon=True) for m in range(1, size)]
    with blas_on_one_thread():
        try:
            for thread in members:
                thread.start()
            result = kernel(*args, A.Team(0, size, GRAIN, sync))
        except BaseException:
            sync[FAILED] = 1
            raise
        finally:
            interrupted = None
            for thread in members:
                while thread.is_alive():
                    try:
                        thread.join()
                    except KeyboardInterrupt as err:  # wait all the same; raise it after
                        interrupted = err
            if interrupted is not None:
                raise interrupted
    if errors:
        raise errors[0]
    return result
