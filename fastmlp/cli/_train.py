"""``fastmlp train``: data, recipe, network, fit, test report, then save and plot."""

from __future__ import annotations

import sys
import time

import numpy as np

from .. import data
from ..model import MLP
from ..optim import CosineDecay, ExponentialDecay, StepDecay, get_optimizer
from . import _data, _report
from ._errors import UsageError
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
    if recipe.schedule == "step":
        step = args.step_size or max(1, epochs // 3)
        return StepDecay(lr, step, args.gamma if args.gamma is not None else 0.1)
    if recipe.schedule == "exponential":
        return ExponentialDecay(lr, args.gamma if args.gamma is not None else 0.9)
    return lr


def _optimizer(recipe, args):
    kwargs = {"lr": learning_rate(recipe, args), "weight_decay": recipe.weight_decay}
    if recipe.optimizer == "sgd":
        kwargs["momentum"] = args.momentum
    return get_optimizer(recipe.optimizer, **kwargs)


def _check_combinations(recipe, args):
    if args.gamma is not None and recipe.schedule not in ("step", "exponential"):
        raise UsageError(f"--gamma applies to --schedule step or exponential, not "
                         f"{recipe.schedule}")
    if args.step_size is not None and recipe.schedule != "step":
        raise UsageError("--step-size applies to --schedule step only")


def run(args, out=None):
    """Train as ``args`` say; returns the exit status."""
    out = out or sys.stdout
    # Whatever would fail after training fails now, before minutes of work.
    if args.plot:
        _report.require_matplotlib()
        _report.plot_paths(args.plot, ())
    if args.save:
        _report.check_folder(args.save, "--save")
    dataset = _data.load(args.dataset, download=args.download)
    recipe = recipe_for(dataset.key, args)
    _check_combinations(recipe, args)
    sizes = network_sizes(args.layers if args.layers is not None else recipe.hidden,
                          dataset.n_features, dataset.n_classes)

    X, y, validation = dataset.X_train, dataset.y_train, None
    if args.validation_split > 0:
        (X, y), validation = data.split(X, y, test_size=args.validation_split,
                                        seed=args.seed, stratify=np.bincount(y).min() >= 2)
    model = MLP(sizes, activation=recipe.activation, dropout=recipe.dropout,
                backend=args.backend or "numba", dtype=args.dtype, seed=args.seed)
    optimizer = _optimizer(recipe, args)

    held = f" / {len(validation[0]):,} validation" if validation is not None else ""
    print(f"dataset   {dataset.title}: {len(X):,} train{held} / {len(dataset.X_test):,} "
          f"test, {dataset.n_features} features, {dataset.n_classes} classes", file=out)
    dropout = f", dropout {recipe.dropout:g}" if recipe.dropout else ""
    print(f"network   {'-'.join(map(str, sizes))} {recipe.activation}{dropout} "
          f"({model.count_params():,} parameters), {model.backend} "
          f"{np.dtype(model.dtype).name}", file=out)
    decay = f", weight decay {recipe.weight_decay:g}" if recipe.weight_decay else ""
    print(f"training  {recipe.optimizer} lr {recipe.lr:g} ({recipe.schedule} schedule){decay}, "
          f"batch {recipe.batch_size}, {recipe.epochs} epochs, seed {args.seed}", file=out,
          flush=True)

    # Bars only on a terminal. fit prints the epoch lines next to the bars, on stderr, so
    # when stdout goes to a file or pipe they go there instead (verbose=2), without bars.
    interactive = sys.stderr.isatty() and sys.stdout.isatty()
    verbose = 1 if interactive and not args.no_progress else 2
    start = time.perf_counter()
    history = model.fit(X, y, epochs=recipe.epochs, batch_size=recipe.batch_size,
                        optimizer=optimizer, validation_data=validation, verbose=verbose)
    seconds = time.perf_counter() - start
    epochs_run = len(history.epoch)

    result = model.evaluate(dataset.X_test, dataset.y_test)
    rows = [
        ("test loss", f"{result['loss']:.4f}"),
        ("test accuracy", f"{result['accuracy']:.4f}"),
        ("train time", f"{seconds:.1f} s ({epochs_run} epochs"
                       f"{', validation included' if validation is not None else ''})"),
        ("samples/s", f"{epochs_run * len(X) / seconds:,.0f}"),
    ]
    if args.save:
        model.save(args.save)
        rows.append(("saved", args.save))
    print(file=out)
    _report.table(rows, out)
    if args.plot:
        _report.draw(args.plot, dataset, model.predict(dataset.X_test), out, history)
    return 0
