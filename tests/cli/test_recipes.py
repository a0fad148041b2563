"""Recipes (fastmlp.cli._recipes): the default per dataset, ``fast`` and ``pixels``, overrides."""

import argparse

import pytest
from cli_run import run

from fastmlp.cli._errors import UsageError
from fastmlp.cli._recipes import (
    FAST_RECIPES,
    PIXELS_RECIPES,
    RECIPES,
    base_recipe,
    recipe_for,
)


def _args(**given):
    return argparse.Namespace(**given)


def test_the_default_recipe_is_the_dataset_s_own():
    assert base_recipe("fashion-mnist") is RECIPES["fashion-mnist"]
    assert base_recipe("digits", "default") is RECIPES["digits"]
    assert base_recipe("a path", "default") is RECIPES["other"]
    assert recipe_for("fashion-mnist", _args()) == RECIPES["fashion-mnist"]


@pytest.mark.parametrize("key", ["fashion-mnist", "mnist", "images"])
def test_image_datasets_default_to_their_fast_recipe(key):
    fast = base_recipe(key, "fast")
    assert fast is FAST_RECIPES[key] is RECIPES[key] is base_recipe(key)
    assert recipe_for(key, _args(recipe="fast")) == fast == recipe_for(key, _args())
    assert fast.components == 160


@pytest.mark.parametrize("key", ["fashion-mnist", "mnist", "images"])
def test_image_datasets_keep_the_former_default_as_pixels(key):
    pixels = base_recipe(key, "pixels")
    assert pixels is PIXELS_RECIPES[key]
    # The recipe PyTorch's reference runs (issue 12): 784-256-128-10 on the pixels.
    assert (pixels.hidden, pixels.components, pixels.epochs, pixels.batch_size) == (
        (256, 128), 0, 20, 128)
    assert (pixels.optimizer, pixels.lr, pixels.weight_decay, pixels.schedule) == (
        "adamw", 1e-3, 0.05, "cosine")
    # Fewer, larger steps: what makes the fast recipe fast.
    fast = base_recipe(key, "fast")
    assert fast.epochs / fast.batch_size < pixels.epochs / pixels.batch_size


def test_flags_override_the_chosen_recipe():
    recipe = recipe_for("fashion-mnist", _args(recipe="fast", epochs=3, lr=None))
    assert recipe.epochs == 3 and recipe.lr == FAST_RECIPES["fashion-mnist"].lr


@pytest.mark.parametrize(("key", "name", "message"), [
    ("digits", "fast", "--recipe fast is tuned for the 28x28 image datasets"),
    ("iris", "fast", "has only the default recipe"),
    ("digits", "pixels", "--recipe pixels is tuned for the 28x28 image datasets"),
    ("fashion-mnist", "slow", "--recipe must be one of default, fast, pixels, got 'slow'"),
])
def test_a_missing_recipe_is_a_usage_error(key, name, message):
    with pytest.raises(UsageError, match=message):
        base_recipe(key, name)


def test_the_command_refuses_fast_digits_before_training(capsys):
    code, out, err = run(capsys, "train", "--dataset", "digits", "--recipe", "fast")
    assert code == 2 and out == ""
    assert "--recipe fast is tuned for the 28x28 image datasets" in err


def test_the_command_lists_the_recipes(capsys):
    code, _, err = run(capsys, "train", "--recipe", "quick")
    assert code == 2 and "invalid choice: 'quick'" in err and "'fast'" in err


def test_the_fast_recipe_holds_out_no_validation_unless_asked():
    # More rows, no per-epoch validation: what lets it reach 0.900 (see _recipes.py).
    assert FAST_RECIPES["fashion-mnist"].validation_split == 0.0
    assert PIXELS_RECIPES["fashion-mnist"].validation_split == 0.1
    asked = recipe_for("fashion-mnist", _args(recipe="fast", validation_split=0.2))
    assert asked.validation_split == 0.2
    assert recipe_for("digits", _args(validation_split=None)).validation_split == 0.1
