"""``fastmlp train --resume``: what the command line may say, and whether the checkpoint can
go on as the command asks (its inputs, epochs left, learning rate left)."""

from __future__ import annotations

from ._errors import CLIError, UsageError
from ._recipes import PIXELS_RECIPES

#: Flags that describe the network or the optimizer: with --resume, the checkpoint does.
FROM_CHECKPOINT = ("layers", "activation", "dropout", "optimizer", "lr", "momentum",
                   "weight_decay", "schedule", "gamma", "step_size", "warmup", "dtype")


def check_flags(args):
    """Refuse the flags a checkpoint decides, and ``--recipe`` (listing what to give)."""
    given = [f"--{name.replace('_', '-')}" for name in FROM_CHECKPOINT
             if getattr(args, name) is not None]
    if given:
        raise UsageError(f"{', '.join(given)} cannot be combined with --resume: the "
                         f"network and optimizer come from the checkpoint")
    if args.recipe != "default":
        pixels = PIXELS_RECIPES["fashion-mnist"]
        raise UsageError(f"--recipe cannot be combined with --resume; give --components, "
                         f"--epochs, --batch-size and --validation-split as the interrupted "
                         f"run had them, if they differ from the dataset's default recipe "
                         f"(the images' pixels recipe: --components {pixels.components} "
                         f"--epochs {pixels.epochs} --batch-size {pixels.batch_size} "
                         f"--validation-split {pixels.validation_split:g})")


def continue_from(model, args, recipe, dataset):
    """The loaded ``model``, the number of epochs it has done (the run goes on from there to
    ``recipe.epochs``) and the seed of the validation split."""
    if model.optimizer is None:
        raise CLIError(f"--resume {args.resume}: the file holds no optimizer state (saved "
                       f"before training, by an older fastmlp, or with a learning-rate "
                       f"schedule of your own), so the run cannot be continued exactly")
    if recipe.components and model.n_inputs != recipe.components:
        raise CLIError(f"--resume {args.resume}: the network takes {model.n_inputs} inputs, "
                       f"but --components {recipe.components} gives {recipe.components}; give "
                       f"the --components of the interrupted run"
                       + ("" if model.n_inputs != dataset.n_features else
                          " (none: it trained on the features themselves)"))
    if (not recipe.components and model.n_inputs < dataset.n_features
            and model.n_outputs == dataset.n_classes):
        # A --components run checkpoints the layers after its projection.
        raise CLIError(f"--resume {args.resume}: the network takes {model.n_inputs} inputs "
                       f"and {dataset.title} has {dataset.n_features} features; if the run "
                       f"projected them (--components; the image datasets' default recipe "
                       f"does), give --components {model.n_inputs}")
    if (model.n_inputs, model.n_outputs) != (recipe.components or dataset.n_features,
                                             dataset.n_classes):
        raise CLIError(f"--resume {args.resume}: the network takes {model.n_inputs} features "
                       f"and {model.n_outputs} classes, but {dataset.title} has "
                       f"{dataset.n_features} features and {dataset.n_classes} classes")
    done = model.optimizer.epochs
    if done >= recipe.epochs:
        raise CLIError(f"--resume {args.resume}: the run has done {done} epochs, and "
                       f"--epochs is {recipe.epochs}: nothing is left to train (give a "
                       f"larger --epochs to train on)")
    rates = [model.optimizer.lr_at(epoch) for epoch in range(done, recipe.epochs)]
    if not any(rates):
        # A schedule laid out over the first run's epochs (cosine ends at 0): going on past
        # its end would spend the time and change nothing.
        raise CLIError(f"--resume {args.resume}: the checkpoint's learning rate, "
                       f"{model.optimizer.lr!r}, is 0 from epoch {done + 1} on, so epochs "
                       f"{done + 1} to {recipe.epochs} would not change the weights. --resume "
                       f"finishes the run the schedule was made for; to train longer, train a "
                       f"new run with more --epochs")
    seed = args.seed if args.seed is not None else (model.seed or 0)
    return model, done, seed
