"""A hint to the CPU to start loading memory the fused kernel reads soon: software prefetch.

The kernel gathers each batch's rows from the training data in a shuffled order, so every
row starts at an address nothing could predict: the copy of each one waited on memory before
the hardware's own prefetchers, which follow runs of addresses, took over the rest of the
row. The gather now asks for a row's first lines (:func:`prefetch_row_start`) a few rows
before its copy (:data:`GATHER_AHEAD`), so those loads overlap the copies in between.

A prefetch never changes a value and never faults (an address past an array's end is
dropped); where the CPU has no such instruction LLVM emits nothing.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

#: The gather asks for a row's first lines this many rows before copying it, and for
#: :data:`ROW_PREFETCH_LINES` lines of it: enough for the hardware's prefetchers to carry on
#: along the row. Measured (Zen 4, 784-128-10 on Fashion-MNIST, a team of two, one process
#: alternating epochs with and without, 24-40 pairs a run, medians of the pairs' ratios):
#: 8 rows ahead and 4 lines, epochs 0.966-0.987 of those without in four runs; 8 or 16 lines,
#: 0.989 and 0.985; 4 rows ahead, 0.980-0.995 in three. Asking for the whole of the next
#: batch's rows during the update gained nothing (1.000): they had left the caches when the
#: gather came to them.
GATHER_AHEAD = 8
ROW_PREFETCH_LINES = 4

#: Bytes in a cache line (x86-64, most of arm64).
LINE_BYTES = 64

#: ``llvm.prefetch``'s arguments after the address: a read (not a write), the highest
#: locality (keep the line in every cache level), data (not instructions).
_READ, _KEEP_EVERYWHERE, _DATA = 0, 3, 1


@intrinsic
def prefetch_row_start(typingctx, flat, offset):
    """Ask for the :data:`ROW_PREFETCH_LINES` cache lines from ``flat[offset]`` on to be
    loaded; returns at once.

    One intrinsic, the lines unrolled in it, rather than a loop in the kernel: each loop or
    inlined helper in the kernel adds to a first ``fit``'s compilation.

    Parameters
    ----------
    flat : 1-d array, any dtype
    offset : integer
        An element index; it is not checked (a prefetch outside the array does nothing).
    """
    if not (isinstance(flat, types.Array) and flat.ndim == 1
            and isinstance(offset, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        array = context.make_array(flat)(context, builder, args[0])
        index = context.cast(builder, args[1], signature.args[1], types.intp)
        byte_pointer = ir.IntType(8).as_pointer()
        start = builder.bitcast(builder.gep(array.data, [index]), byte_pointer)
        i32, i64 = ir.IntType(32), ir.IntType(64)
        routine = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
            "llvm.prefetch.p0i8")
        hints = [ir.Constant(i32, value) for value in (_READ, _KEEP_EVERYWHERE, _DATA)]
        for line in range(ROW_PREFETCH_LINES):
            address = builder.gep(start, [ir.Constant(i64, line * LINE_BYTES)])
            builder.call(routine, [address] + hints)
        return context.get_dummy_value()

    return types.void(flat, offset), codegen
