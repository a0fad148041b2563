"""One training epoch (``model.fit(..., epochs=1)``) per backend and network size.

Data is synthetic, shaped like each size (``fastmlp.bench.sizes.synthetic_data``); the 784-* sizes
use 10,000 rows rather than Fashion-MNIST's 60,000 to keep the suite at a few minutes. Batches
are ``CASES[size].batch`` rows, Adam lr 1e-3, shuffled, float32. For 2-4-2 an epoch is a single
full-batch step, so that row measures what one ``fit`` call costs around one step.
"""

from cases import CASES, backend, size

from fastmlp import MLP, Adam
from fastmlp.bench.sizes import synthetic_data, training_flops


@backend
@size
def test_fit_epoch(timed, size, backend, benchmark):
    case = CASES[size]
    X, y = synthetic_data(case.sizes, case.samples)
    model = MLP(list(case.sizes), backend=backend, seed=0)
    model.optimizer = Adam(1e-3)
    benchmark.extra_info.update(samples=len(X), batch=case.batch,
                                gflop=training_flops(case.sizes, len(X)) / 1e9)
    timed(model.fit, X, y, epochs=1, batch_size=case.batch, verbose=0)
