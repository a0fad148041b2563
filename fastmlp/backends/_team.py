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
yields the core, then (on Linux) sleeps on a futex until the last member to arrive wakes it.
The sleep is for a busy machine: with another process running on one of two cores, the
member sharing that core arrives late at every barrier, and the other, yielding a core that
nothing else wanted, kept it busy, so the scheduler never moved the late member over; a
784-128-10 epoch took 0.7-1.2 s instead of 0.17 s, against 0.30 s on one thread. Sleeping
after about 0.1 ms of waiting (:data:`YIELDS_BEFORE_SLEEP`) frees the core: 0.35-0.38 s
(PyTorch's two threads there: 1.4-2.7 s; docs/benchmarks.md). On an idle machine a member
rarely waits that long (1-2 sleeps in a 784-128-10 epoch), and epochs took the same time.
"""

from __future__ import annotations

import ctypes
import platform
import sys

from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._jit import jit_inline, jit_internal

#: Spins before a waiting member starts yielding its core.
SPINS_BEFORE_YIELD = 200
#: Yields before a waiting member goes to sleep (where it can: :data:`FUTEX`), about 0.1 ms
#: here (a yield that finds nothing else to run took 0.5 us): longer than a barrier's usual
#: wait on an idle machine, shorter than a time slice of a busy one.
YIELDS_BEFORE_SLEEP = 200

#: The slots of a team's ``sync`` counters (int64): arrivals at barriers; non-zero when a
#: member failed; the generation of the barrier last released (its low 32 bits, the futex
#: word); members asleep now; times a member went to sleep (for the tests and profiles).
ARRIVALS, FAILED, RELEASED, SLEEPERS, SLEEPS = 0, 1, 2, 3, 4

#: The futex system call's number, where members can sleep on one (Linux on x86-64 or
#: arm64); 0 elsewhere: waiting members only yield.
FUTEX = ({"x86_64": 202, "aarch64": 98}.get(platform.machine(), 0)
         if sys.platform.startswith("linux") else 0)
_FUTEX_WAIT, _FUTEX_WAKE = 128, 129  # FUTEX_WAIT_PRIVATE, FUTEX_WAKE_PRIVATE
#: A sleeping member looks again after this long even unwoken: a failed member never
#: arrives, and the others must see ``sync[FAILED]`` and run out.
SLEEP_NANOSECONDS = 1_000_000

# Linked by name, as the BLAS routines (_blas.py): compiled code that held the address could
# not be cached on disk.
_libc = ctypes.CDLL(None)
binding.add_symbol("fastmlp_sched_yield", ctypes.cast(_libc.sched_yield, ctypes.c_void_p).value)
binding.add_symbol("fastmlp_syscall", ctypes.cast(_libc.syscall, ctypes.c_void_p).value)


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
    """``counts[index]``, read afresh each time (sequentially consistent: the writes before
    the count are visible after it, and a sleeper's count and the releaser's, each read after
    its own write, cannot both miss the other's: no wake-up is lost)."""
    def codegen(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature, args)
        return builder.load_atomic(pointer, "seq_cst", 8)
    return types.int64(counts, index), codegen


def _word(builder, pointer):
    """The low 32 bits of an int64 slot (the futex word; x86-64 and arm64 are little-endian)."""
    return builder.bitcast(pointer, ir.IntType(32).as_pointer())


@intrinsic
def _store_word(typingctx, counts, index, value):
    """The low 32 bits of ``counts[index]`` = those of ``value``, atomically."""
    def codegen(context, builder, signature, args):
        word = _word(builder, _element_pointer(context, builder, signature, args))
        builder.store_atomic(builder.trunc(args[2], ir.IntType(32)), word, "seq_cst", 4)
        return context.get_dummy_value()
    return types.void(counts, index, types.int64), codegen


@intrinsic
def _futex(typingctx, counts, index, operation, value):
    """``futex(low 32 bits of counts[index], operation, value, SLEEP_NANOSECONDS)``: wait
    while the word holds ``value`` (at most that long), or wake up to ``value`` waiters."""
    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        word = _word(builder, _element_pointer(context, builder, signature, args))
        timeout = cgutils.alloca_once(builder, ir.ArrayType(i64, 2))  # a struct timespec
        builder.store(ir.Constant(ir.ArrayType(i64, 2), [0, SLEEP_NANOSECONDS]), timeout)
        routine = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i64, [i64], var_arg=True), "fastmlp_syscall")
        builder.call(routine, [ir.Constant(i64, FUTEX), builder.ptrtoint(word, i64), args[2],
                               builder.trunc(args[3], ir.IntType(32)),
                               builder.ptrtoint(timeout, i64), ir.Constant(i64, 0),
                               ir.Constant(i64, 0)])
        return context.get_dummy_value()
    return types.void(counts, index, types.int64, types.int64), codegen


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

    ``sync``: the team's int64 counters (slots :data:`ARRIVALS` ... :data:`SLEEPS`;
    ``sync[FAILED]`` non-zero releases every barrier at once: a member failed, and the others
    must run out instead of waiting for it forever); ``generation``: how many barriers this
    member has reached, this one included (the same on every member, since all run the same
    control flow). The last member to arrive releases the others, waking any asleep."""
    if team == 1:
        return
    target = generation * team
    if _atomic_add(sync, ARRIVALS, 1) + 1 == target:
        if FUTEX:
            _store_word(sync, RELEASED, generation)
            if _atomic_read(sync, SLEEPERS) > 0:
                _futex(sync, RELEASED, _FUTEX_WAKE, team)
        return
    waits = 0
    while _atomic_read(sync, ARRIVALS) < target and _atomic_read(sync, FAILED) == 0:
        waits += 1
        if waits <= SPINS_BEFORE_YIELD:
            continue
        if (FUTEX == 0) | (waits <= SPINS_BEFORE_YIELD + YIELDS_BEFORE_SLEEP):
            _yield_core()
            continue
        # Asleep while the word still holds the previous barrier's generation; announced
        # first, so that a member arriving last from now on wakes this one.
        _atomic_add(sync, SLEEPERS, 1)
        if _atomic_read(sync, ARRIVALS) < target and _atomic_read(sync, FAILED) == 0:
            _atomic_add(sync, SLEEPS, 1)
            _futex(sync, RELEASED, _FUTEX_WAIT, generation - 1)
        _atomic_add(sync, SLEEPERS, -1)


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
