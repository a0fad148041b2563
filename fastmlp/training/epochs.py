"""The two ways ``fit`` runs its epochs through a trainer, and the stop on non-finite values.

- :func:`epoch_by_epoch`: batches in paced calls, then logs, the progress bar and the
  callbacks after each epoch.
- :func:`whole_run`: several epochs per call, when nothing needs Python between epochs.

Both shuffle from the model's seeded generator, set the learning rate of each epoch, check
the weights and optimizer state after each call or epoch, and stop with
``FloatingPointError`` and the weights of the last finite step when the loss or the weights
stop being finite. :mod:`.loop` validates the arguments and chooses between them.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from . import health
from .team import evaluating_beside


def epoch_by_epoch(model, trainer, pacer, initial_epoch, epochs, shuffling, validation,
                   verbose, callbacks, weights=None):
    """The epoch loop: batches in paced chunks, then logs and callbacks after each epoch.

    ``epoch`` is the run's number (from ``initial_epoch``); the optimizer counts this call's.
    """
    opt = model.optimizer
    for epoch in range(initial_epoch, epochs):
        opt.start_epoch(epoch - initial_epoch)
        start = time.perf_counter()
        order = model._rng.permutation(trainer.n)[None, :] if shuffling else None
        progress = _progress(trainer.n, epoch, epochs) if verbose == 1 else None
        # The bar's running loss is a weighted mean: it needs the weight of the rows done.
        weight_done = None
        if progress is not None and weights is not None:
            weight_done = np.cumsum(weights if order is None else weights[order[0]],
                                    dtype=np.float64)
        # One pair of sums for all the epoch's calls: it adds up in the order of one call.
        sums, hits, begin = np.zeros(1), np.zeros(1, dtype=np.int64), 0
        while begin < trainer.n_batches:
            end = min(begin + pacer.chunk(progress is not None), trainer.n_batches)
            tick = time.perf_counter()
            bad = trainer.run([opt.current_lr], order, begin, end, sums, hits)
            pacer.measured(end - begin, time.perf_counter() - tick)
            if bad is not None:
                _stop(trainer, f"the loss became {bad[2]}", epoch, bad[1])
            if progress is not None:
                done = min(end * trainer.batch_size, trainer.n)
                progress.update(done - progress.n)
                seen = done if weight_done is None else weight_done[done - 1]
                progress.set_postfix(loss=f"{sums[0] / max(seen, 1e-300):.4f}",
                                     refresh=False)
            begin = end
        if progress is not None:
            progress.close()
        # No later loss checks the epoch's last update (fit may end here): check the weights.
        if not np.isfinite(model.flat_params).all():
            _stop(trainer, "the weights became non-finite", epoch, trainer.n_batches - 1)
        health.check_optimizer_state(opt)
        logs = {"loss": float(sums[0]) / trainer.total_weight}
        if model.is_classifier:
            logs["accuracy"] = int(hits[0]) / trainer.n
        if validation is not None:
            with evaluating_beside(trainer):
                evaluation = model._evaluate(*validation)
            for key, value in evaluation.items():
                logs[f"val_{key}"] = value
        logs["seconds"] = time.perf_counter() - start
        if verbose:
            print(_epoch_line(epoch, epochs, logs), file=sys.stderr if verbose == 1
                  else sys.stdout, flush=True)
        for cb in callbacks:
            cb.on_epoch_end(model, epoch, logs)
        if model.stop_training:
            break


def whole_run(model, trainer, pacer, initial_epoch, epochs, shuffling, history):
    """Several epochs per kernel call: when nothing needs Python between epochs, this is what
    makes tiny networks fast. Per-epoch logs come from the kernel's sums, filled in per call
    (a Python call per epoch would cost more than a tiny net's epoch); each epoch of a call
    logs the call's mean duration. Only without dropout: the shuffles of a call are drawn
    before its masks would be, unlike epoch by epoch.

    Epochs are counted here as this call's (from 0); ``initial_epoch`` only numbers them.
    """
    opt = model.optimizer
    first, epochs = 0, epochs - initial_epoch
    while first < epochs:
        count = min(pacer.chunk(False) // trainer.n_batches or 1, epochs - first)
        lrs, schedule_error = [], None
        for epoch in range(first, first + count):
            try:
                opt.start_epoch(epoch)
            except ValueError as err:  # train up to that epoch, as epoch by epoch would
                schedule_error = err
                break
            lrs.append(opt.current_lr)
        if not lrs:
            raise schedule_error
        count = len(lrs)
        orders = (np.stack([model._rng.permutation(trainer.n) for _ in lrs]) if shuffling
                  else None)
        sums, hits = np.zeros(count), np.zeros(count, dtype=np.int64)
        tick = time.perf_counter()
        try:
            bad = trainer.run(lrs, orders, 0, trainer.n_batches, sums, hits)
        except KeyboardInterrupt:  # log the epochs the call completed, then stop
            steps = trainer.last_call_steps
            # The schedule was set up for the whole call: count only the epochs begun.
            begun = max(1, -(-steps // trainer.n_batches))
            opt.rewind_to_epoch(first + begun - 1, lrs[begun - 1])
            _log_epochs(model, history, initial_epoch + first, steps // trainer.n_batches,
                        sums, hits, trainer, time.perf_counter() - tick)
            raise
        seconds = time.perf_counter() - tick
        pacer.measured(count * trainer.n_batches, seconds)
        done = count if bad is None else bad[0]
        _log_epochs(model, history, initial_epoch + first, done, sums, hits, trainer,
                    seconds / count)
        if bad is not None:
            opt.rewind_to_epoch(first + done, lrs[done])
            _stop(trainer, f"the loss became {bad[2]}", initial_epoch + first + done, bad[1])
        first += count
        if not np.isfinite(model.flat_params).all():
            _stop(trainer, "the weights became non-finite", initial_epoch + first - 1,
                  trainer.n_batches - 1)
        health.check_optimizer_state(opt)
        if schedule_error is not None:
            raise schedule_error


def _log_epochs(model, history, first, done, sums, hits, trainer, seconds):
    """Append ``done`` epochs, from epoch ``first`` on, of a whole-run call to ``history``."""
    logs = history.history
    logs["loss"] += (sums[:done] / trainer.total_weight).tolist()
    if model.is_classifier:
        logs["accuracy"] += (hits[:done] / trainer.n).tolist()
    logs["seconds"] += [seconds] * done
    history.epoch += range(first, first + done)


def _stop(trainer, what, epoch, step):
    """Undo the latest update (weights and optimizer state) and raise FloatingPointError."""
    trainer.undo_step()
    raise FloatingPointError(
        f"{what} at epoch {epoch + 1}, step {step + 1}; training stopped with the weights of "
        f"the last finite step. Try a smaller learning rate (now "
        f"{trainer.model.optimizer.current_lr:g}), scaling the inputs, or gradient-friendlier "
        f"initialisation")


def _epoch_line(epoch, epochs, logs):
    parts = [f"epoch {epoch + 1}/{epochs}"]
    for key, value in logs.items():
        parts.append(f"{key} {value:.2f}s" if key == "seconds" else f"{key} {value:.4f}")
    return "  ".join(parts)


def _progress(n, epoch, epochs):
    from tqdm.auto import tqdm

    # disable=None: no bar when stderr is not a terminal, so logs and pipes stay clean.
    return tqdm(total=n, desc=f"epoch {epoch + 1}/{epochs}", unit="sample", unit_scale=True,
                leave=False, file=sys.stderr, dynamic_ncols=True, disable=None)
