"""The argument parser: every subcommand, its flags and their help text.

Flags that a dataset's recipe fills in (layers, optimizer, epochs...) default to None here,
so the recipe can tell "not given" from "given".
"""

from __future__ import annotations

import argparse
import re

from ..layers import ACTIVATIONS
from ..optim import OPTIMIZERS
from ._data import NAMES
from ._recipes import RECIPE_NAMES, RECIPES
from ._threads import thread_count

SCHEDULES = ("cosine", "warmup-cosine", "step", "exponential", "none")

DESCRIPTION = """\
Train, evaluate and use multilayer perceptrons on the CPU.

  fastmlp train --dataset fashion-mnist            # the tuned default recipe
  fastmlp train --dataset digits --save digits.npz # offline: digits ship with fastmlp
  fastmlp evaluate digits.npz --dataset digits
  fastmlp predict digits.npz samples.npy --output predictions.csv
  fastmlp export digits.npz digits.onnx            # for onnxruntime (needs fastmlp[onnx])

Run 'fastmlp COMMAND --help' for the flags of a command.
Exit status: 0 success, 1 failure, 2 usage error."""


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not value > 0 or value != value or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def _non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def _non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def _fraction(text):
    value = _non_negative_float(text)
    if not value < 1:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1), got {text!r}")
    return value


def _widths(text):
    """``"784,256,10"`` or ``"784-256-10"`` -> [784, 256, 10]."""
    parts = [p.strip() for p in re.split(r"[,-]", text)]
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive integers such as 256,128, got {text!r}")
    return [int(p) for p in parts]


def _size_list(text):
    """``"2-4-2,784-128-10"`` -> [(2, 4, 2), (784, 128, 10)]."""
    sizes = []
    for item in text.split(","):
        parts = [p.strip() for p in item.split("-")]
        if len(parts) < 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise argparse.ArgumentTypeError(
                f"expected network sizes such as 2-4-2,784-128-10, got {text!r}")
        sizes.append(tuple(int(p) for p in parts))
    return sizes


def _common(parser, *, with_dataset=True):
    if with_dataset:
        parser.add_argument(
            "--dataset", default="fashion-mnist", metavar="NAME|PATH",
            help=f"{', '.join(NAMES)}, or a path: a Kaggle-style CSV file (label, then "
                 f"pixels) or a folder of MNIST-format IDX files (default: fashion-mnist)")
        parser.add_argument(
            "--no-download", dest="download", action="store_false",
            help="never download MNIST / Fashion-MNIST; fail if they are not on disk")
    parser.add_argument("--backend", choices=("numba", "numpy"), default=None,
                        help="numba (fast, default) or numpy (the reference path)")
    parser.add_argument("--threads", type=thread_count, metavar="N",
                        help="BLAS and Numba threads for the run, from 1 to the CPUs this "
                             "process may use (default: the libraries' own, usually one per "
                             "core); a seeded run repeats bit for bit only on the same count")


def build_parser(prog="fastmlp"):
    """The ``fastmlp`` parser; each subcommand stores its handler in ``args.run``."""
    from . import _export, _tools, _train, _use

    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    from .._version import __version__

    parser.add_argument("--version", action="version", version=f"fastmlp {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback when a command fails")
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    commands.required = True

    fm = RECIPES["fashion-mnist"]
    train = commands.add_parser(
        "train", help="train a network on a dataset and report test accuracy",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Train an MLP, print one line per epoch, then test loss, accuracy and speed.\n\n"
            "Flags left out come from the dataset's recipe; the Fashion-MNIST one is\n"
            f"  --layers {','.join(map(str, fm.hidden))} --activation {fm.activation} "
            f"--optimizer {fm.optimizer} --lr {fm.lr:g} --weight-decay {fm.weight_decay:g}\n"
            f"  --schedule {fm.schedule} --epochs {fm.epochs} --batch-size {fm.batch_size} "
            f"--dropout {fm.dropout:g}\n"
            f"  --components {fm.components} --validation-split {fm.validation_split:g}\n"
            "(see docs/quickstart.md for all recipes)."))
    _common(train)
    train.add_argument("--recipe", choices=RECIPE_NAMES, default="default",
                       help="the settings flags left out come from: 'default'; on the image "
                            "datasets also 'fast' (the same as their default: a few large "
                            "batches on principal components) and 'pixels' (the former "
                            "default: 784-256-128-10 on the pixels, 20 epochs, a tenth held "
                            "out for validation)")
    train.add_argument(
        "--layers", type=_widths, metavar="WIDTHS",
        help="hidden widths such as 256,128; input and output widths come from the data. "
             "A full list such as 784,256,128,10 (first = features, last = classes) is "
             "accepted too")
    train.add_argument("--activation", choices=tuple(ACTIVATIONS),
                       help="between the Dense layers (recipe: relu)")
    train.add_argument("--dropout", type=_fraction, metavar="P",
                       help="dropout after each hidden layer (0 = none)")
    train.add_argument("--optimizer", choices=tuple(OPTIMIZERS),
                       help="adamw is Adam with decoupled weight decay")
    train.add_argument("--lr", type=_positive(float), metavar="LR",
                       help="(initial) learning rate")
    train.add_argument("--momentum", type=_fraction,
                       help="SGD momentum (default 0.9)")
    train.add_argument("--weight-decay", type=_non_negative_float, metavar="WD",
                       help="L2 penalty; decoupled (AdamW-style) for adamw")
    train.add_argument("--schedule", choices=SCHEDULES,
                       help="learning-rate schedule over the epochs")
    train.add_argument("--gamma", type=_positive(float),
                       help="decay factor: per step for 'step' (default 0.1), per epoch for "
                            "'exponential' (default 0.9)")
    train.add_argument("--step-size", type=_positive(int), metavar="N",
                       help="epochs between decays for 'step' (default: a third of the run)")
    train.add_argument("--warmup", type=_positive(int), metavar="N",
                       help="epochs of linear warm-up for 'warmup-cosine' (default 1); the "
                            "cosine decay takes the rest of the run")
    train.add_argument("--epochs", type=_positive(int), metavar="N",
                       help="passes over the training data")
    train.add_argument("--batch-size", type=_positive(int), metavar="N",
                       help="samples per optimizer step")
    train.add_argument("--validation-split", type=_fraction, metavar="F",
                       help="fraction of the training data held out for val_loss / "
                            "val_accuracy each epoch (0 = none; default: the recipe's, "
                            "0 for the image datasets' default, 0.1 for the others)")
    train.add_argument("--components", type=_non_negative_int, metavar="K",
                       help="project the features onto their K leading principal components "
                            "once, train the layers after that on the projection, and put it "
                            "back in front as a fixed first Dense layer (0 = none; the fast "
                            "recipe uses 160). --checkpoint then saves the layers after the "
                            "projection; --resume them with the same --components")
    train.add_argument("--dtype", choices=("float32", "float64"),
                       help="precision of weights and arithmetic (default float32)")
    train.add_argument("--seed", type=_non_negative_int,
                       help="seeds initialisation, shuffling, dropout and the validation "
                            "split (default 0; with --resume, the checkpoint's seed)")
    train.add_argument("--save", metavar="PATH", help="write the trained model (.npz)")
    train.add_argument("--checkpoint", metavar="PATH",
                       help="save the model with its optimizer after every epoch, for "
                            "--resume; PATH may hold {epoch}, e.g. run-{epoch:03d}.npz "
                            "(one file per epoch)")
    train.add_argument("--resume", metavar="PATH",
                       help="continue the run saved in PATH (by --checkpoint or --save) for "
                            "the epochs left of --epochs (the recipe's by default): the "
                            "network, optimizer, schedule and random state come from PATH, "
                            "so the result is that of an uninterrupted run")
    train.add_argument("--plot", metavar="PREFIX",
                       help="write PREFIX-history.png, PREFIX-confusion.png and "
                            "PREFIX-misclassified.png (needs matplotlib; a .pdf or .svg "
                            "ending on PREFIX picks that format)")
    train.add_argument("--no-progress", action="store_true",
                       help="no progress bars, just one line per epoch")
    train.set_defaults(run=_train.run)

    evaluate = commands.add_parser(
        "evaluate", help="test loss and accuracy of a saved model",
        description="Evaluate a saved model on the test part of a dataset.")
    evaluate.add_argument("model", metavar="MODEL", help="a model file written by --save")
    _common(evaluate)
    evaluate.add_argument("--plot", metavar="PREFIX",
                          help="write PREFIX-confusion.png and PREFIX-misclassified.png")
    evaluate.set_defaults(run=_use.evaluate)

    predict = commands.add_parser(
        "predict", help="predict the class of every sample in a file",
        description=(
            "Predict classes for the samples in INPUT: a .npy array (n, features), a CSV "
            "file (one sample per row, optionally with the label first, as Kaggle's) or an "
            "IDX image file. Integer pixel values are scaled by 1/255 like the image "
            "datasets; float arrays are used as they are. When INPUT has labels, the "
            "accuracy is reported too."))
    predict.add_argument("model", metavar="MODEL", help="a model file written by --save")
    predict.add_argument("input", metavar="INPUT", help=".npy, .csv or IDX file")
    predict.add_argument("--output", "-o", metavar="PATH",
                         help="write predictions instead of printing them: .npy (an int64 "
                              "array), .csv (ImageId,Label as Kaggle wants) or text (one "
                              "label per line)")
    _common(predict, with_dataset=False)
    predict.set_defaults(run=_use.predict)

    export = commands.add_parser(
        "export", help="write a saved model as an ONNX file",
        description=(
            "Write MODEL as an ONNX graph for onnxruntime or any ONNX runtime: input "
            "'input' [batch, features]; outputs 'probabilities' [batch, classes] and 'label' "
            "[batch] for a classifier, 'values' [batch, outputs] for a regressor. Needs the "
            "onnx package: pip install \"fastmlp[onnx]\" (see docs/interop.md)."))
    export.add_argument("model", metavar="MODEL", help="a model file written by --save")
    export.add_argument("output", metavar="OUT.onnx", help="the ONNX file to write")
    export.add_argument("--opset", type=_positive(int), metavar="N",
                        help="ONNX operator set version (default 17; 13 or newer)")
    export.set_defaults(run=_export.run)

    bench = commands.add_parser(
        "bench", help="training speed of fastmlp against PyTorch and scikit-learn",
        description="Time training per network size, fastmlp against its peers "
                    "(see docs/benchmarks.md).")
    bench.add_argument("--sizes", type=_size_list, metavar="SIZES",
                       help="network sizes such as 2-4-2,784-128-10")
    bench.add_argument("--epochs", type=_positive(int), metavar="N")
    bench.add_argument("--repeats", type=_positive(int), default=3, metavar="N",
                       help="timed runs per case; the median is reported, with the best and "
                            "the spread (default 3)")
    bench.add_argument("--no-peers", dest="peers", action="store_false",
                       help="time fastmlp's backends only")
    bench.set_defaults(run=_tools.bench)

    gradcheck = commands.add_parser(
        "gradcheck", help="analytic against numerical gradients, per network size",
        description="Compare backpropagated with central-difference gradients and time "
                    "both, per network size (see docs/gradients.md).")
    gradcheck.add_argument("--sizes", type=_size_list, metavar="SIZES",
                           help="network sizes such as 2-4-2,4-8-3")
    gradcheck.set_defaults(run=_tools.gradcheck)
    return parser
