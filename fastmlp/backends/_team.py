"""A team of threads running one kernel together: each its share of the work, then a barrier.

The fused training kernel (:mod:`._train_kernel`) runs on ``team`` threads at once (the
caller starts ``team - 1`` Python threads; the kernel releases the GIL), each with its
``member`` number. They split the work in consecutive shares (:func:`share`) and meet at a
:func:`barrier` wherever one needs what another wrote. With one member the barrier is a no-op
and the kernel is the serial one.

Why the kernel's own threads rather than BLAS's: on two cores, BLAS's threads multiply and
then wait, spinning, while everything between the products (activations, the optimizer's pass
over all parameters) runs on one core; the team shares those passes too, and the products,
each member multiplying its share on one BLAS thread, run as fast as BLAS's own two-thread
split or faster (measured, docs/benchmarks.md).

The barrier counts arrivals in ``sync[0]`` with an atomic add; a member waits until the
count reaches ``generation * team``. The count only grows, so a barrier never has to be
reset within a call; the caller zeroes it before each call. Waiting spins briefly, then
yields the core, so a member that waits long (the other one descheduled on a busy host) does
not hold it.
"""

from __future__ import annotations

import ctypes

from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._jit import jit_inline, jit_internal

#: Spins before a waiting member starts yielding its core.
SPINS_BEFORE_YIELD = 200

# Linked by name, as the BLAS routines (_blas.py): compiled code that held the address could
# not be cached on disk.
binding.add_symbol("fastmlp_sched_yield",
                   ctypes.cast(ctypes.CDLL(None).sched_yield, ctypes.c_void_p).value)


def _element_pointer(context, builder, signature, args):
    array_type = signature.args[0]
    array = context.make_array(array_type)(context, builder, args[0])
    return cgutils.get_item_pointer(context, builder, array_type, array, [args[1]])


@intrinsic
def _atomic_add(typingctx, counts, index, value):
    """``counts[index] += value`` as one atomic step (sequentially consistent: every write
    before it is visible to a member that sees the new count)."""
    def codegen(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature, args)
        return builder.atomic_rmw("add", pointer, args[2], "seq_cst")
    return types.int64(counts, index, types.int64), codegen


@intrinsic
def _atomic_read(typingctx, counts, index):
    """``counts[index]``, read afresh each time (acquire: the writes before the count are
    visible after it)."""
    def codegen(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature, args)
        return builder.load_atomic(pointer, "acquire", 8)
    return types.int64(counts, index), codegen


@intrinsic
def _yield_core(typingctx):
    """``sched_yield()``: let another thread run on this core."""
    def codegen(context, builder, signature, args):
        routine = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.IntType(32), []), "fastmlp_sched_yield")
        builder.call(routine, [])
        return context.get_dummy_value()
    return types.void(), codegen


@jit_internal
def barrier(sync, team, generation):
    """Wait until every member of the team has arrived at its ``generation``-th barrier.

    ``sync``: the team's int64 counters (``sync[0]`` counts arrivals; ``sync[1]`` non-zero
    releases every barrier at once: a member failed, and the others must run out instead of
    waiting for it forever); ``generation``: how many barriers this member has reached, this
    one included (the same on every member, since all run the same control flow)."""
    if team == 1:
        return
    _atomic_add(sync, 0, 1)
    target = generation * team
    spins = 0
    while _atomic_read(sync, 0) < target and _atomic_read(sync, 1) == 0:
        spins += 1
        if spins > SPINS_BEFORE_YIELD:
            _yield_core()


@jit_internal
def share(n, member, team, grain):
    """Member ``member``'s part ``[begin, end)`` of ``range(n)`` split in ``team`` nearly equal
    consecutive parts, each boundary rounded to a multiple of ``grain`` (so a part may be
    empty: a range narrower than a grain goes to one member). The kernel's grain is 16
    elements, 64 bytes of float32 (:mod:`fastmlp.training.team`): two members never write
    one cache line, which made a 10-wide output layer, its bias gradient summed row by row
    from both cores, cost more than the team saved on a 784-128-10 step."""
    return _boundary(n, member, team, grain), _boundary(n, member + 1, team, grain)


@jit_inline
def block(by_cols, r0, r1, rows, cols, member, team, grain):
    """Member ``member``'s block ``(row0, row1, col0, col1)`` of a ``(rows, cols)`` matrix:
    its rows ``[r0, r1)`` by every column, or (``by_cols``) every row by its :func:`share`
    of the columns."""
    if by_cols:
        c0, c1 = share(cols, member, team, grain)
        return 0, rows, c0, c1
    return r0, r1, 0, cols


@jit_inline
def rows_grain(n_out, grain):
    """The fewest rows of a ``(n, n_out)`` matrix whose elements fill whole grains: rows of
    ``dW`` shared in multiples of it (one row of a 512-wide layer, eight of a 10-wide one)
    leave no cache line written by two members, with halves as even as can be (784 rows
    shared in multiples of 16 gave one member 4 % more of the largest product). The grain is
    a power of two, so that is grain over the largest power of two dividing ``n_out``, capped
    at grain (math.gcd: 0.2 s of a cold start; min(), whose overload compiles alone: 0.1 s)."""
    low = n_out & -n_out
    if low > grain:
        low = grain
    return grain // low


@jit_inline
def _boundary(n, k, team, grain):
    if k >= team:
        return n
    # Not min(): its overload compiles on its own (0.1 s of a cold start).
    rounded = (n * k // team + grain // 2) // grain * grain
    if rounded > n:
        return n
    return rounded
