"""``fastmlp evaluate`` and ``fastmlp predict``: put a saved model to work."""

from __future__ import annotations

import os
import sys

import numpy as np

from .._atomic import atomic_write
from ..loading import load
from . import _data, _report, _threads
from ._errors import CLIError


def _load_model(path, backend):
    if not os.path.isfile(path):
        raise CLIError(f"{path}: no such model file" if not os.path.exists(path)
                       else f"{path} is a folder, not a model file" if os.path.isdir(path)
                       else f"{path} is not a regular file (a pipe or device?), not a model "
                            f"file")
    model = load(path, backend=backend)  # ModelFileError: reported in one line by main
    if not model.is_classifier:
        raise CLIError(f"{path} holds a regression model (loss={model.loss!r}); the command "
                       f"line works with classifiers")
    return model


def _check_width(model, n_features, where):
    if n_features != model.n_inputs:
        hint = ("was the model trained on other data? (A checkpoint of a --components run "
                "takes the components; use the model its --save wrote.)"
                if model.n_inputs < n_features else "was the model trained on other data?")
        raise CLIError(f"wrong input width: the model takes {model.n_inputs} features per "
                       f"sample, {where} has {n_features}; {hint}")


def evaluate(args, out=None):
    """Test loss and accuracy of ``args.model`` on ``args.dataset``."""
    out = out or sys.stdout
    if args.plot:
        _report.check_plots(args.plot)
    model = _load_model(args.model, args.backend)
    dataset = _data.load(args.dataset, download=args.download)
    _check_width(model, dataset.n_features, dataset.title)
    if dataset.n_classes > model.n_outputs:
        raise CLIError(f"{dataset.title} has labels up to {dataset.n_classes - 1} but the model "
                       f"has only {model.n_outputs} outputs; was it trained on other data?")
    result = model.evaluate(dataset.X_test, dataset.y_test)
    rows = [
        ("model", f"{args.model} ({'-'.join(_sizes(model))}, "
                  f"{model.count_params():,} parameters)"),
        ("dataset", f"{dataset.title}, {len(dataset.X_test):,} test samples"),
        ("test loss", f"{result['loss']:.4f}"),
        ("test accuracy", f"{result['accuracy']:.4f}"),
    ]
    if args.threads is not None:
        rows.append(("threads", _threads.in_effect()))
    _report.table(rows, out)
    if args.plot:
        _report.draw(args.plot, dataset, model.predict(dataset.X_test), out)
    return 0


def _sizes(model):
    from ..layers import Dense

    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    return [str(dense[0].n_in)] + [str(layer.n_out) for layer in dense]


def predict(args, out=None):
    """Print or write the predicted class of every sample in ``args.input``."""
    out = out or sys.stdout
    if args.output is not None:
        _report.check_output(args.output, "--output", "predictions file")
    model = _load_model(args.model, args.backend)
    X, labels = _data.read_inputs(args.input, model.n_inputs)
    if labels is not None and labels.max(initial=0) >= model.n_outputs:
        labels = None  # not class labels this model knows: no accuracy to report
    predictions = model.predict(X)
    if args.output:
        _write(args.output, predictions)
        print(f"wrote {len(predictions):,} predictions to {args.output}", file=out)
    else:
        print("\n".join(map(str, predictions.tolist())), file=out)
    if labels is not None:
        accuracy = float(np.mean(predictions == labels))
        # To stderr when the predictions fill stdout, so that piping them stays clean.
        print(f"accuracy on the labels in {args.input}: {accuracy:.4f}",
              file=out if args.output else sys.stderr)
    return 0


def _write(path, predictions):
    """Write the predictions atomically, in the format the file name asks for."""
    try:
        with atomic_write(path, "predictions file") as f:
            if path.endswith(".npy"):
                np.save(f, predictions.astype(np.int64))
            elif path.endswith(".csv"):
                # Kaggle's submission layout: 1-based ImageId, then the label.
                rows = np.column_stack([np.arange(1, len(predictions) + 1), predictions])
                np.savetxt(f, rows, fmt="%d", delimiter=",", header="ImageId,Label",
                           comments="")
            else:
                np.savetxt(f, predictions, fmt="%d")
    except OSError as err:
        raise CLIError(_report.output_error(err, path, "--output")) from None
