"""Views into the flat vectors the fused kernel works on, built directly in compiled code.

The kernel (:mod:`._train_kernel`) keeps every matrix of a step in one flat work vector and
the parameters in another, and reads them through views: a matrix at an offset, or a run of
a vector. Both are built from the vector's pointer, shape and strides in one step, not by
slicing and reshaping: typing a slice, or compiling Numba's reshape, is what a first
``fit`` waits for (issue 12's cold start). A view shares its vector's memory and keeps it
alive.
"""

from __future__ import annotations

from numba import types
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic
from numba.np.arrayobj import populate_array


def _view_of(flat, ndim):
    """The type and code of a C-contiguous ``ndim``-d view into the 1-d C array ``flat``
    (None for any other type): the intrinsics' arguments are ``(flat, offset, *shape)``."""
    if not (isinstance(flat, types.Array) and flat.ndim == 1 and flat.layout == "C"):
        return None, None
    view_type = flat.copy(ndim=ndim, layout="C")

    def codegen(context, builder, signature, args):
        source = context.make_array(flat)(context, builder, args[0])
        view = context.make_array(view_type)(context, builder)
        start, *shape = (context.cast(builder, value, kind, types.intp) for value, kind
                         in zip(args[1:], signature.args[1:]))
        strides = [source.itemsize]
        for extent in reversed(shape[1:]):
            strides.insert(0, builder.mul(extent, strides[0]))
        populate_array(view, data=builder.gep(source.data, [start]), shape=shape,
                       strides=strides, itemsize=source.itemsize, meminfo=source.meminfo,
                       parent=source.parent)
        return impl_ret_borrowed(context, builder, view_type, view._getvalue())

    return view_type, codegen


@intrinsic
def matrix_at(typingctx, flat, offset, rows, cols):
    """The ``(rows, cols)`` matrix stored in ``flat`` from ``offset`` on, as a view.

    Built directly (data pointer, shape, strides), not as ``flat[offset:...].reshape(...)``:
    Numba's reshape compiles on its own, 0.2 s of a cold start. An intrinsic types its
    integer arguments as plain integers, so a constant offset (the gathered batch sits at 0)
    compiles no second specialisation. The view shares ``flat``'s memory and keeps it alive.
    """
    view_type, codegen = _view_of(flat, 2)
    return None if view_type is None else (view_type(flat, offset, rows, cols), codegen)


@intrinsic
def vector_at(typingctx, flat, offset, length):
    """``flat[offset:offset + length]`` as a view, built as :func:`matrix_at` builds its own.

    With the batch's labels, targets and weights passed whole rather than sliced, this took
    0.03-0.11 s off the kernel's first compilation (three pairs, measured): Numba types each
    slice through the generic ``getitem`` machinery."""
    view_type, codegen = _view_of(flat, 1)
    return None if view_type is None else (view_type(flat, offset, length), codegen)
