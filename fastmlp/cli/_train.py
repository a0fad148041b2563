"""``fastmlp train``: data, recipe, network (new, or a checkpoint's with ``--resume``), fit
(with ``--checkpoint`` saving every epoch), test report, then save and plot."""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

from .. import data
from ..checkpoint import ModelCheckpoint
from ..layers import Dense
from ..loading import load
from ..model import MLP
from ..optim import CosineDecay, ExponentialDecay, StepDecay, WarmupCosineDecay, get_optimizer
from ..projection import MAX_FEATURES, PrincipalComponents
from ..training.health import DivergenceWarning
from . import _data, _report, _resume, _threads
from ._errors import CLIError, UsageError
from ._memory import check_memory, memory_needed, too_big
from ._recipes import recipe_for


def network_sizes(layers, n_features, n_classes):
    """Widths from input to output for ``--layers``.

    A list whose first entry is the number of features and whose last is the number of
    classes is the whole network; any other list gives the hidden widths only.
    """
    layers = list(layers)
    if len(layers) >= 2 and layers[0] == n_features and layers[-1] == n_classes:
        return layers
    return [n_features, *layers, n_classes]


def learning_rate(recipe, args):
    """A float, or the schedule ``--schedule`` names, over ``recipe.epochs`` epochs."""
    lr, epochs = recipe.lr, recipe.epochs
    if recipe.schedule == "cosine":
        return CosineDecay(lr, epochs)
    if recipe.schedule == "warmup-cosine":
        return WarmupCosineDecay(lr, epochs, args.warmup or 1)
    if recipe.schedule == "step":
        step = args.step_size or max(1, epochs // 3)
        return StepDecay(lr, step, args.gamma if args.gamma is not None else 0.1)
    if recipe.schedule == "exponential":
        return ExponentialDecay(lr, args.gamma if args.gamma is not None else 0.9)
    return lr


def _optimizer(recipe, args):
    kwargs = {"lr": learning_rate(recipe, args), "weight_decay": recipe.weight_decay}
    if recipe.optimizer == "sgd":
        kwargs["momentum"] = args.momentum if args.momentum is not None else 0.9
    return get_optimizer(recipe.optimizer, **kwargs)


def _check_components(recipe, dataset):
    if recipe.components and dataset.n_features > MAX_FEATURES:
        raise UsageError(f"--components: {dataset.title} has {dataset.n_features:,} features; "
                         f"a projection takes at most {MAX_FEATURES:,} (their covariance grows "
                         f"as the square of the features); give --components 0")
    if recipe.components > dataset.n_features:
        raise UsageError(f"--components {recipe.components}: {dataset.title} has only "
                         f"{dataset.n_features} features; give at most {dataset.n_features} "
                         f"(or 0 to train on the features themselves)")


def _check_combinations(recipe, args):
    if args.gamma is not None and recipe.schedule not in ("step", "exponential"):
        raise UsageError(f"--gamma applies to --schedule step or exponential, not "
                         f"{recipe.schedule}")
    if args.step_size is not None and recipe.schedule != "step":
        raise UsageError("--step-size applies to --schedule step only")
    if args.warmup is not None and recipe.schedule != "warmup-cosine":
        raise UsageError("--warmup applies to --schedule warmup-cosine only")
    if recipe.schedule == "warmup-cosine" and (args.warmup or 1) >= recipe.epochs:
        raise UsageError(f"--warmup {args.warmup or 1} leaves no epoch of the {recipe.epochs} "
                         f"for the cosine decay; give fewer warm-up epochs or more --epochs")


def _checkpoint(args):
    """The ModelCheckpoint ``--checkpoint`` asks for (or None), checked before any work."""
    if args.checkpoint is None:
        return None
    try:
        checkpoint = ModelCheckpoint(args.checkpoint, save_best_only=False)
    except ValueError as err:
        raise UsageError(f"--checkpoint: {err}") from None
    if not checkpoint.fields:
        _report.check_output(args.checkpoint, "--checkpoint", "checkpoint")
    else:
        folder = os.path.dirname(os.path.abspath(args.checkpoint))
        if not os.path.isdir(folder):
            raise CLIError(f"--checkpoint {args.checkpoint}: the folder {folder} does not exist")
    return checkpoint


def run(args, out=None):
    """Train as ``args`` say; returns the exit status."""
    out = out or sys.stdout
    # Whatever would fail after training fails now, before minutes of work.
    if args.resume is not None:
        _resume.check_flags(args)
    if args.plot:
        _report.check_plots(args.plot)
    if args.save is not None:
        _report.check_output(args.save, "--save", "model file")
    checkpoint = _checkpoint(args)
    resumed = load(args.resume, backend=args.backend) if args.resume is not None else None
    dataset = _data.load(args.dataset, download=args.download)
    recipe = recipe_for(dataset.key, args)
    _check_combinations(recipe, args)
    _check_components(recipe, dataset)
    if resumed is not None:
        model, initial_epoch, seed = _resume.continue_from(resumed, args, recipe, dataset)
    else:
        initial_epoch, seed = 0, args.seed if args.seed is not None else 0
    X, y, validation = dataset.X_train, dataset.y_train, None
    if recipe.validation_split > 0:
        (X, y), validation = data.split(X, y, test_size=recipe.validation_split,
                                        seed=seed, stratify=np.bincount(y).min() >= 2)
    held = f" / {len(validation[0]):,} validation" if validation is not None else ""
    description = (f"dataset   {dataset.title}: {len(X):,} train{held} / "
                   f"{len(dataset.X_test):,} test, {dataset.n_features} features, "
                   f"{dataset.n_classes} classes")
    if resumed is None:
        model, optimizer = _fresh(args, recipe, dataset, seed, description, out)
    else:
        optimizer = None  # the checkpoint's
        print(description, file=out)
        print(_network_line(model, recipe.components, dataset.n_features), file=out)
        print(f"resumed   {args.resume}: {initial_epoch} of {recipe.epochs} epochs done, "
              f"{model.optimizer!r}, batch {recipe.batch_size}, seed {seed}", file=out,
              flush=True)
    if args.threads is not None:
        # The counts in effect, read back: what a bit-identical rerun needs.
        print(f"threads   {_threads.in_effect()}", file=out, flush=True)

    # Bars only on a terminal. fit prints the epoch lines next to the bars, on stderr, so
    # when stdout goes to a file or pipe they go there instead (verbose=2), without bars.
    interactive = sys.stderr.isatty() and sys.stdout.isatty()
    verbose = 1 if interactive and not args.no_progress else 2
    start = time.perf_counter()
    projection = None
    if recipe.components:
        # Part of the training time: the projection is fitted on the training rows only. A
        # resumed run fits it again on the same rows: the same bits as the first run's.
        projection = PrincipalComponents(recipe.components).fit(X)
        X = projection.transform(X, model.dtype)
        if validation is not None:
            validation = (projection.transform(validation[0], model.dtype), validation[1])
    with warnings.catch_warnings():
        # The report says it in its own words (a "warning" row), not as a Python warning.
        warnings.simplefilter("ignore", DivergenceWarning)
        # A resumed run numbers its epochs on from the checkpoint's (lines, history, the
        # {epoch} of --checkpoint), as the uninterrupted run would have.
        history = model.fit(X, y, epochs=recipe.epochs, initial_epoch=initial_epoch,
                            batch_size=recipe.batch_size, optimizer=optimizer,
                            validation_data=validation, verbose=verbose,
                            callbacks=[checkpoint] if checkpoint is not None else None)
    if projection is not None:
        model = projection.prepend_to(model)  # takes the raw features, like any model
    seconds = time.perf_counter() - start
    epochs_run = len(history.epoch)
    which = (f": {history.epoch[0] + 1} to {history.epoch[-1] + 1} of {recipe.epochs}"
             if initial_epoch and epochs_run else "")

    result = model.evaluate(dataset.X_test, dataset.y_test)
    rows = [
        ("test loss", f"{result['loss']:.4f}"),
        ("test accuracy", f"{result['accuracy']:.4f}"),
        ("train time", f"{seconds:.1f} s ({epochs_run} epochs{which}"
                       f"{', validation included' if validation is not None else ''})"),
        ("samples/s", f"{epochs_run * len(X) / seconds:,.0f}"),
    ]
    if history.warning is not None:
        rows.append(("warning", history.warning))
    if checkpoint is not None and checkpoint.saved:
        rows.append(("checkpoint", checkpoint.saved[-1]))
    unsaved = None
    if args.save is not None:
        try:
            model.save(args.save)
            rows.append(("saved", args.save))
        except OSError as err:  # a full disk, a folder removed meanwhile: report, then fail
            unsaved = _report.output_error(err, args.save, "--save")
            rows.append(("saved", "NOT SAVED (see the error below)"))
    print(file=out)
    _report.table(rows, out)
    if unsaved:
        raise CLIError(f"{unsaved}; the model was not saved")
    if args.plot:
        _report.draw(args.plot, dataset, model.predict(dataset.X_test), out, history)
    return 0


def _fresh(args, recipe, dataset, seed, description, out):
    """A new network and optimizer from the recipe, and the lines that describe them."""
    widths = network_sizes(args.layers if args.layers is not None else recipe.hidden,
                           dataset.n_features, dataset.n_classes)
    # With a projection, the trained network takes its components instead of the features.
    sizes = [recipe.components, *widths[1:]] if recipe.components else widths
    dtype = args.dtype or "float32"
    needed = memory_needed(sizes, dtype, recipe.optimizer, recipe.batch_size)
    check_memory(sizes, needed, dtype, recipe.optimizer)
    try:
        model = MLP(sizes, activation=recipe.activation, dropout=recipe.dropout,
                    backend=args.backend or "numba", dtype=dtype, seed=seed)
    except MemoryError:
        raise CLIError(too_big(sizes, needed, dtype, recipe.optimizer, None)) from None
    optimizer = _optimizer(recipe, args)
    print(description, file=out)
    dropout = f", dropout {recipe.dropout:g}" if recipe.dropout else ""
    print(_network_line(model, recipe.components, dataset.n_features,
                        f" {recipe.activation}{dropout}"), file=out)
    decay = f", weight decay {recipe.weight_decay:g}" if recipe.weight_decay else ""
    print(f"training  {recipe.optimizer} lr {recipe.lr:g} ({recipe.schedule} schedule){decay}, "
          f"batch {recipe.batch_size}, {recipe.epochs} epochs, seed {seed}", file=out,
          flush=True)
    return model, optimizer


def _network_line(model, components, n_features, layers=""):
    """The report's ``network`` line: widths (the raw features first when ``components``
    projects them), ``layers`` (activation, dropout), the projection, parameters, backend."""
    widths = _widths(model)
    fixed = (f", first layer the fixed projection onto {components} principal components"
             if components else "")
    shown = [n_features, *widths] if components else widths
    return (f"network   {'-'.join(map(str, shown))}{layers}{fixed} ({model.count_params():,} "
            f"parameters{' trained' if components else ''}), {model.backend} "
            f"{np.dtype(model.dtype).name}")


def _widths(model):
    """Widths from input to output of the Dense layers of ``model``."""
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    return [dense[0].n_in] + [layer.n_out for layer in dense]
