"""The pytest parameters of every benchmark suite, built from the one table of sizes.

The sizes themselves live in :data:`fastmlp.bench.sizes.CASES`, which the peer comparison uses too.
Parameter values are plain strings, so ``--benchmark-group-by=param:size`` prints group names
such as ``size=784-128-10`` and saved JSON stays readable.
"""

import pytest

from fastmlp.backends import available_backends
from fastmlp.bench.gradient_timing import SIZES as GRADCHECK_SIZES
from fastmlp.bench.sizes import CASES, size_name

SIZES = list(CASES)
BACKENDS = available_backends()

#: ``@size`` / ``@backend`` parametrise a benchmark; ids read ``size=784-128-10``,
#: ``backend=numba``.
size = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"size={s}")
backend = pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: f"backend={b}")


def layers(name):
    """``(index, n_in, n_out)`` of each Dense layer of size ``name``."""
    widths = CASES[name].sizes
    return [(i, a, b) for i, (a, b) in enumerate(zip(widths[:-1], widths[1:]))]


#: Every (size, Dense layer) pair, for the per-layer dense benchmarks.
size_and_layer = pytest.mark.parametrize(
    ("size", "layer"),
    [pytest.param(name, f"{a}x{b}", id=f"size={name}-layer={a}x{b}")
     for name in SIZES for _, a, b in layers(name)],
)


#: The sizes of the gradient suite: ``fastmlp.bench.gradient_timing.SIZES``, the ones
#: ``fastmlp gradcheck`` measures (batch 64), so the suite and the command speak about the
#: same networks.
GRADIENT_SIZES = [size_name(s) for s in GRADCHECK_SIZES]
