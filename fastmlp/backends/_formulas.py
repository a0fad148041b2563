"""Every formula of the Numba path under one name, and the rules they all keep.

Kernels take their formulas from here (``from . import _formulas as F``; ``F.relu``...), so
the op kernels, the fused training kernel (``_train_kernel`` and the modules it strings
together) and the numerical-gradient kernel (``_numgrad_kernels``) all compute with the same
ones and can never drift apart. The formulas are written once, by family:

- :mod:`._activation_formulas`: the activations and their derivatives, by name and by code
  (``activate`` / ``activation_grad``);
- :mod:`._loss_formulas`: the softmax of a row and its cross-entropy, the squared errors of a
  row, the binary cross-entropy of one logit, and the sum of a batch's sample weights;
- :mod:`._update_formulas`: the SGD, RMSprop and Adam updates of one element.

Each is compiled once per float type and LLVM inlines it into the caller's loop, which then
vectorises as if the formula were written in it; inlining them at Numba's level instead
(``inline="always"``) runs at the same speed but retypes the formula at every call site, which
made a cold start 10 % slower. ``tanh`` (``_scalar_math``) is the exception: too large for
LLVM to inline on its own. The few formulas that choose by a code are inlined at Numba's
level, so that constant codes prune them. The compile options are ``_jit``'s ``formula`` and
``formula_inline``. The NumPy reference (``numpy_ops``) keeps its own vectorised maths: it is
the living definition these are tested against.

Rules the formulas keep, and why:

- NaN propagates wherever NumPy's would (``relu`` tests ``v < 0``, not ``v > 0``), and
  derivatives multiply by a 0/1 factor instead of selecting, so ``inf * 0`` is NaN on every
  path, as in the reference: a network stops at the same step whichever path trains it.
- Constants are built in the argument's float type (float32 code never touches a float64);
  activations therefore come from per-type implementations, like ``exp`` and ``tanh``.
- Statements, not conditional expressions: inlined ternaries trip Numba's SSA check on
  Python 3.11 (NumbaIRAssumptionWarning, numba issue 9489).
"""

from __future__ import annotations

from ._activation_formulas import (  # noqa: F401 - the formulas' one namespace, re-exported
    activate,
    activation_grad,
    leaky_relu,
    leaky_relu_grad,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    tanh_grad,
)
from ._loss_formulas import (  # noqa: F401 - the formulas' one namespace, re-exported
    add_squared_errors,
    bce_element,
    softmax_row,
    squared_error,
    weight_sum,
    xent_from_softmax,
)
from ._update_formulas import (  # noqa: F401 - the formulas' one namespace, re-exported
    adam_element,
    rmsprop_element,
    sgd_element,
)
