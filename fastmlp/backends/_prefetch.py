"""A hint to the CPU to start loading memory the kernel reads soon: software prefetch.

The fused kernel gathers each batch's rows from the training data in a shuffled order, so
every row starts at an address nothing could predict: the copy of each one waited on memory
before the hardware's own prefetchers, which follow runs of addresses, took over the rest of
the row. Asking for a row's first lines a few rows before its copy lets those loads overlap
the copies in between (:func:`fastmlp.backends._train_steps.prefetch_row`).

A prefetch never changes a value, never faults (an address past an array's end is
dropped), and where the CPU has no such instruction LLVM emits nothing.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

#: ``llvm.prefetch``'s arguments after the address: a read (not a write), the highest
#: locality (keep the line in every cache level), data (not instructions).
_READ, _KEEP_EVERYWHERE, _DATA = 0, 3, 1


@intrinsic
def prefetch(typingctx, flat, offset):
    """Ask for the cache line holding ``flat[offset]`` to be loaded; returns at once.

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
        address = builder.bitcast(builder.gep(array.data, [index]), byte_pointer)
        i32 = ir.IntType(32)
        routine = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
            "llvm.prefetch.p0i8")
        builder.call(routine, [address] + [ir.Constant(i32, value) for value in
                                           (_READ, _KEEP_EVERYWHERE, _DATA)])
        return context.get_dummy_value()

    return types.void(flat, offset), codegen
