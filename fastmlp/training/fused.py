"""The fused trainer: many batches, or whole epochs, per call of one compiled kernel.

It covers the stacks the model's layer plan describes (Dense layers each followed by at most
one activation and one Dropout), every loss, and the built-in optimizers, on the
"numba" backend; :func:`supports` says when. Everything else trains layer by layer
(:mod:`.layerwise`) with the same numbers; dropout masks come from the model's generator in
the same order on both paths. The kernel itself is :mod:`fastmlp.backends._train_kernel`.
"""

from __future__ import annotations

import numpy as np

from .. import _huge_pages as huge_pages
from ..backends import _train_args as A
from ..backends import _train_kernel as K
from ..backends import _train_steps as S
from ..backends.codes import (
    ACTIVATION_CODES,
    CROSS_ENTROPY,
    IDENTITY,
    LOSS_CODES,
    OPTIMIZER_CODES,
    activation_set,
)
from ..optim import SGD, Adam, AdamW, RMSprop
from .team import run_as_team, shared_by_columns, team_size

_FUSED_OPTIMIZERS = (SGD, RMSprop, Adam, AdamW)


def supports(model, optimizer):
    """True when ``fit`` can train ``model`` with ``optimizer`` through the fused kernel."""
    return (model.backend == "numba" and type(optimizer) in _FUSED_OPTIMIZERS
            and model.plan is not None and all(_bias_follows_weights(layer)
                                               for layer in model.plan))


def _bias_follows_weights(layer):
    """True when the layer's bias (if any) comes right after its ``W`` in the flat vector,
    as :func:`fastmlp.network.flatten` lays them out: the kernel updates a member's rows of
    ``W`` and the bias as one run of parameters."""
    return layer.b_offset in (-1, layer.w_offset + layer.n_in * layer.n_out)


def _hyper(optimizer):
    """The optimizer's rule (an ``OPT_*`` code) and its settings in the kernel's ``hyper``
    layout."""
    rule, settings = optimizer.fused_settings()
    hyper = np.zeros(S.N_HYPER)
    hyper[S.H_MOMENTUM] = settings.get("momentum", 0.0)
    hyper[S.H_NESTEROV] = settings.get("nesterov", False)
    hyper[S.H_DECAY1] = settings.get("decay1", 0.0)
    hyper[S.H_DECAY2] = settings.get("decay2", 0.0)
    hyper[S.H_EPS] = settings.get("eps", 0.0)
    hyper[S.H_WEIGHT_DECAY] = settings["weight_decay"]
    hyper[S.H_DECOUPLED] = settings.get("decoupled", False)
    hyper[S.H_DECAY_BIASES] = settings.get("decay_biases", True)
    return OPTIMIZER_CODES[rule], hyper


def _batch_space(plan, batch_size, dtype, loss_code, n_targets, weighted):
    """The kernel's work vector and its per-layer offsets for a full batch.

    Layout: the gathered inputs, then per layer ``z``, ``a`` (``z`` itself for identity), with
    dropout the mask and the dropped output ``o`` (else ``o`` is ``a``), and ``d`` (the
    gradient flowing down)."""
    offset = batch_size * plan[0].n_in
    offsets = {key: [] for key in "zamod"}
    for layer in plan:
        block = batch_size * layer.n_out
        z = offset
        a = z if ACTIVATION_CODES[layer.activation] == IDENTITY else z + block
        m = a + block if layer.dropout > 0 else a
        o = m + block if layer.dropout > 0 else a
        d = o + block
        for key, value in zip("zamod", (z, a, m, o, d)):
            offsets[key].append(value)
        offset = d + block
    labels = np.empty(batch_size if loss_code == CROSS_ENTROPY else 1, dtype=np.int64)
    targets = np.empty((batch_size, n_targets) if loss_code != CROSS_ENTROPY else (1, 1),
                       dtype=dtype)
    weights = np.empty(batch_size if weighted else 1, dtype=dtype)
    terms = np.empty(batch_size * plan[-1].n_out, dtype=np.float64)
    hits = np.empty(batch_size if loss_code == CROSS_ENTROPY else 1, dtype=np.int64)
    return A.Batch(huge_pages.empty(offset, dtype),
                   *(np.array(offsets[key], dtype=np.int64) for key in "zamod"),
                   labels, targets, weights, terms, hits)


class FusedTrainer:
    """Trains ``model`` on ``X (n, n_in)`` and validated ``y`` (and sample ``weights``, or
    None) in batches of ``batch_size``; the interface of
    :class:`~fastmlp.training.layerwise.LayerwiseTrainer`."""

    def __init__(self, model, X, y, batch_size, weights=None):
        self.model = model
        self.n, self.batch_size = len(X), batch_size
        self.n_batches = -(-self.n // batch_size)
        self._storage_order = np.arange(self.n, dtype=np.int64)
        plan, dtype = model.plan, model.dtype
        sizes = [plan[0].n_in] + [layer.n_out for layer in plan]
        self.layers = A.Layers(
            np.array(sizes, dtype=np.int64),
            np.array([ACTIVATION_CODES[layer.activation] for layer in plan], dtype=np.int64),
            np.array([layer.alpha for layer in plan], dtype=np.float64),
            np.array([layer.dropout for layer in plan], dtype=np.float64),
            np.array([layer.w_offset for layer in plan], dtype=np.int64),
            np.array([layer.b_offset for layer in plan], dtype=np.int64),
            shared_by_columns(sizes, batch_size))
        self.activations = activation_set(self.layers.acts)
        self.loss_code = loss_code = LOSS_CODES[model.loss]
        self.weighted = weighted = weights is not None
        self.total_weight = float(np.sum(weights, dtype=np.float64)) if weighted else self.n
        w = weights if weighted else np.ones(1, dtype=dtype)
        if loss_code == CROSS_ENTROPY:
            self.data = A.Data(X.reshape(-1), y, np.zeros((1, 1), dtype=dtype), w)
        else:
            self.data = A.Data(X.reshape(-1), np.zeros(1, dtype=np.int64), y, w)
        self.batch = _batch_space(plan, batch_size, dtype, loss_code, model.n_outputs, weighted)
        self.params = A.Params(model.flat_params, model.flat_grads,
                               huge_pages.copy(model.flat_params))
        # 1 on the weights, 0 on the biases, for an optimizer that does not decay biases.
        self.decayed = np.ones(len(model.flat_params), dtype=np.uint8)
        for layer in plan:
            if layer.b_offset >= 0:
                self.decayed[layer.b_offset:layer.b_offset + layer.n_out] = 0
        self.updated = False  # an update was made that undo_step can undo
        self._last_updating_call = None
        self._steps = np.zeros(1, dtype=np.int64)
        self.last_call_steps = 0
        self._step_work = batch_size * sum(layer.n_in * layer.n_out for layer in plan)

    @property
    def team_size(self):
        """The threads the kernel runs on now (:func:`~fastmlp.training.team.team_size`)."""
        return team_size(self._step_work)

    @property
    def drops(self):
        """True when some layer has dropout (its masks draw from the model's generator)."""
        return bool(self.layers.drops.any())

    def _optimizer_state(self):
        opt = self.model.optimizer
        rule, hyper = _hyper(opt)
        state = [opt.flat_state[name] for name in opt.state_names]
        backup = [opt.flat_backup[name] for name in opt.state_names]
        # Adam has two state vectors, SGD and RMSprop one (passed twice).
        return rule, A.OptimizerState(hyper, state[0], state[-1], backup[0], backup[-1],
                                      self.decayed)

    def run(self, lrs, orders, batch_begin, batch_end, loss_sums, correct):
        """As :meth:`LayerwiseTrainer.run`."""
        opt = self.model.optimizer
        if orders is None:  # storage order: the kernel gathers the rows all the same
            orders = (self._storage_order[None, :] if len(lrs) == 1
                      else np.tile(self._storage_order, (len(lrs), 1)))
        rule, opt_state = self._optimizer_state()
        kernel = K.train_batches_for(self.loss_code, self.activations, rule, self.weighted,
                                     self.drops, bool(self.layers.cols.any()))
        # Everything the kernel reads, kept with the generator's state and the team: the
        # call can be replayed, bit for bit, up to any of its updates (undo_step).
        call = _Call(kernel, (self.data, self.layers, self.params, opt_state, self.batch,
                              self.model._rng, np.ascontiguousarray(orders, dtype=np.int64),
                              self.batch_size, batch_begin, batch_end,
                              np.asarray(lrs, dtype=np.float64), opt.iterations),
                     self.model._rng.bit_generator.state, self.team_size, len(lrs))
        self._steps[0] = 0
        try:
            bad_epoch, bad_batch, bad_loss = call.run(_NO_LIMIT, loss_sums, correct,
                                                      self._steps)
        finally:
            # Also on Ctrl-C, which surfaces once the kernel returns: count what it did.
            self.last_call_steps = int(self._steps[0])
            opt.advance(self.last_call_steps)
            if self.last_call_steps > 0:
                self._last_updating_call = (call, self.last_call_steps)
                self.updated = True
        return None if bad_epoch < 0 else (bad_epoch, bad_batch, bad_loss)

    def undo_step(self):
        """Put back the weights and optimizer state from before the latest update.

        The kernel keeps them only as they were before the first update of the call that
        made the latest one (a copy every step cost a tenth of a wide net's epoch): from
        there this call is replayed up to the update before its last, with its orders, rates,
        team and dropout draws, so the result is the one every step's copy would have given.
        The generator ends where it was before the replay."""
        if not self.updated:
            return
        call, steps = self._last_updating_call
        np.copyto(self.params.theta, self.params.backup)
        self.model.optimizer.undo_step()  # its state from the backups, one update counted out
        if steps > 1:
            generator = self.model._rng.bit_generator
            now = generator.state
            generator.state = call.generator_state
            try:
                call.replay(steps - 1)
            finally:
                generator.state = now
        self.updated = False


#: ``max_updates`` of a call that may update at every step.
_NO_LIMIT = -1


class _Call:
    """One call of the kernel: its arguments up to the optimizer's step count, the model
    generator's state before it, and the number of threads it ran on."""

    def __init__(self, kernel, args, generator_state, team, epochs):
        self.kernel, self.args = kernel, args
        self.generator_state, self.team, self.epochs = generator_state, team, epochs

    def run(self, max_updates, loss_sums, correct, steps):
        """Run the call, stopping after ``max_updates`` updates (-1: no limit)."""
        return run_as_team(self.kernel, (*self.args, max_updates, loss_sums, correct, steps),
                           self.team)

    def replay(self, updates):
        """Run the call again up to its ``updates``-th update, its sums and counts discarded
        (the caller has put back the state it started from)."""
        self.run(updates, np.zeros(self.epochs), np.zeros(self.epochs, dtype=np.int64),
                 np.zeros(1, dtype=np.int64))
