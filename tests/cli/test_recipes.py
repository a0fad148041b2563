"""Recipes (fastmlp.cli._recipes): the default per dataset, ``--recipe fast``, and overrides."""

import argparse

import pytest
from cli_run import run

from fastmlp.cli._errors import UsageError
from fastmlp.cli._recipes import FAST_RECIPES, RECIPES, base_recipe, recipe_for


def _args(**given):
    return argparse.Namespace(**given)


def test_the_default_recipe_is_the_dataset_s_own():
    assert base_recipe("fashion-mnist") is RECIPES["fashion-mnist"]
    assert base_recipe("digits", "default") is RECIPES["digits"]
    assert base_recipe("a path", "default") is RECIPES["other"]
    assert recipe_for("fashion-mnist", _args()) == RECIPES["fashion-mnist"]


@pytest.mark.parametrize("key", ["fashion-mnist", "mnist", "images"])
def test_image_datasets_have_a_fast_recipe(key):
    fast = base_recipe(key, "fast")
    assert fast is FAST_RECIPES[key]
    default = RECIPES[key]
    assert fast.epochs * 1.0 / fast.batch_size < default.epochs * 1.0 / default.batch_size
    assert recipe_for(key, _args(recipe="fast")) == fast


def test_flags_override_the_chosen_recipe():
    recipe = recipe_for("fashion-mnist", _args(recipe="fast", epochs=3, lr=None))
    assert recipe.epochs == 3 and recipe.lr == FAST_RECIPES["fashion-mnist"].lr


@pytest.mark.parametrize(("key", "name", "message"), [
    ("digits", "fast", "--recipe fast is tuned for the 28x28 image datasets"),
    ("iris", "fast", "has only the default recipe"),
    ("fashion-mnist", "slow", "--recipe must be one of default, fast, got 'slow'"),
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
    assert RECIPES["fashion-mnist"].validation_split == 0.1
    asked = recipe_for("fashion-mnist", _args(recipe="fast", validation_split=0.2))
    assert asked.validation_split == 0.2
    assert recipe_for("digits", _args(validation_split=None)).validation_split == 0.1
