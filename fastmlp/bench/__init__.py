"""The benchmark harness: fastmlp measured against its peers, its own GEMMs and its gradients.

A front end, like ``fastmlp.cli``: it uses the core's public API and the core never imports
it. One job per module:

- :mod:`~fastmlp.bench.sizes`: the table of network sizes (:data:`CASES`) every benchmark
  uses, :func:`parse_size` / :func:`size_name`, :func:`training_flops`, :func:`synthetic_data`;
- :mod:`~fastmlp.bench.machine`: the CPU / BLAS / threads / load lines every table starts with;
- :mod:`~fastmlp.bench.peers`: the trainers (fastmlp, a NumPy loop, PyTorch, scikit-learn);
- :mod:`~fastmlp.bench.startup`: what a first ``fit`` in a fresh process adds (T5);
- :mod:`~fastmlp.bench.compare`: :func:`run_peer_comparison`, what ``fastmlp bench`` prints;
- :mod:`~fastmlp.bench.report`: that table and its verdicts;
- :mod:`~fastmlp.bench.roofline`: the fused epoch against its own GEMMs alone (R1, R2), the
  rest broken down with the stand-ins of :mod:`~fastmlp.bench.epoch_pieces`;
- :mod:`~fastmlp.bench.time_to_accuracy`: ``fastmlp train --recipe fast`` against PyTorch's
  time for the default recipe;
- :mod:`~fastmlp.bench.gradient_timing`: :func:`gradient_table`, what ``fastmlp gradcheck``
  prints.

Nothing here asserts a timing: these numbers come from shared, noisy machines.
"""

from .compare import run_peer_comparison
from .gradient_timing import gradient_table
from .machine import gemm_gflops, machine_info
from .report import format_table, verdicts
from .sizes import CASES, Case, parse_size, size_name, synthetic_data, training_flops

__all__ = [
    "CASES", "Case", "format_table", "gemm_gflops", "gradient_table", "machine_info",
    "parse_size", "run_peer_comparison", "size_name", "synthetic_data", "training_flops",
    "verdicts",
]
