"""``fastmlp train --checkpoint PATH`` and ``--resume PATH``: an interrupted run, continued from
its checkpoint, ends with the weights of the uninterrupted run."""

import re

import numpy as np
import pytest
from cli_run import assert_one_line_error, run

import fastmlp

DIGITS = ["train", "--dataset", "digits", "--no-progress", "--layers", "24", "--dropout", "0.1",
          "--optimizer", "sgd", "--schedule", "step", "--step-size", "2", "--lr", "0.05",
          "--seed", "4"]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """5 epochs in one go, a checkpoint after each, and the final model."""
    folder = tmp_path_factory.mktemp("full")
    code = fastmlp.cli.main([*DIGITS, "--epochs", "5", "--checkpoint",
                             str(folder / "run-{epoch}.npz"), "--save", str(folder / "full.npz")])
    assert code == 0
    return folder


def test_checkpoint_saves_every_epoch_with_the_optimizer(full_run):
    files = sorted(p.name for p in full_run.glob("run-*.npz"))
    assert files == [f"run-{epoch}.npz" for epoch in range(1, 6)]
    model = fastmlp.load(full_run / "run-2.npz")
    assert model.optimizer.epochs == 2
    assert repr(model.optimizer) == ("SGD(lr=StepDecay(lr=0.05, step_size=2, gamma=0.1), "
                                     "momentum=0.9, nesterov=False, weight_decay=0.0)")


def test_resume_from_a_checkpoint_ends_as_the_uninterrupted_run(capsys, tmp_path, full_run):
    code, out, err = run(capsys, "train", "--dataset", "digits", "--no-progress",
                         "--epochs", "5", "--resume", str(full_run / "run-2.npz"),
                         "--save", str(tmp_path / "resumed.npz"))
    assert code == 0, err
    assert f"resumed   {full_run / 'run-2.npz'}: 2 of 5 epochs done, SGD(" in out
    assert "seed 4" in out  # the checkpoint's: the same validation split
    # Numbered on from the checkpoint, as in the uninterrupted run (Keras' initial_epoch).
    assert re.findall(r"^epoch (\d+/\d+) ", out, re.MULTILINE) == ["3/5", "4/5", "5/5"]
    assert re.search(r"^train time\s+\S+ s \(3 epochs: 3 to 5 of 5, validation included\)$",
                     out, re.MULTILINE)
    resumed = fastmlp.load(tmp_path / "resumed.npz")
    full = fastmlp.load(full_run / "full.npz")
    np.testing.assert_array_equal(resumed.flat_params, full.flat_params)  # bit for bit
    for key, flat in full.optimizer.flat_state.items():
        np.testing.assert_array_equal(resumed.optimizer.flat_state[key], flat)
    assert resumed.optimizer.epochs == 5


def test_resume_and_checkpoint_into_the_same_file(capsys, tmp_path, full_run):
    path = tmp_path / "ck.npz"
    path.write_bytes((full_run / "run-4.npz").read_bytes())
    code, out, err = run(capsys, "train", "--dataset", "digits", "--no-progress", "--epochs",
                         "5", "--resume", str(path), "--checkpoint", str(path))
    assert code == 0, err
    assert re.search(rf"^checkpoint\s+{re.escape(str(path))}$", out, re.MULTILINE)
    np.testing.assert_array_equal(fastmlp.load(path).flat_params,
                                  fastmlp.load(full_run / "full.npz").flat_params)


def test_resumed_checkpoints_are_numbered_on_and_leave_the_earlier_ones(capsys, tmp_path,
                                                                        full_run):
    for epoch in (1, 2):
        (tmp_path / f"run-{epoch}.npz").write_bytes((full_run / f"run-{epoch}.npz").read_bytes())
    code, out, err = run(capsys, "train", "--dataset", "digits", "--no-progress", "--epochs",
                         "5", "--resume", str(tmp_path / "run-2.npz"), "--checkpoint",
                         str(tmp_path / "run-{epoch}.npz"))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.glob("run-*.npz")) == [
        f"run-{epoch}.npz" for epoch in range(1, 6)]
    for epoch in range(1, 6):  # each file holds its epoch of the uninterrupted run
        model = fastmlp.load(tmp_path / f"run-{epoch}.npz")
        assert model.optimizer.epochs == epoch
        np.testing.assert_array_equal(model.flat_params,
                                      fastmlp.load(full_run / f"run-{epoch}.npz").flat_params)


def test_network_flags_do_not_go_with_resume(capsys, full_run):
    code, _, err = run(capsys, "train", "--dataset", "digits", "--resume",
                       str(full_run / "run-1.npz"), "--layers", "32", "--lr", "0.1")
    assert code == 2
    assert ("--layers, --lr cannot be combined with --resume: the network and optimizer come "
            "from the checkpoint") in err


def test_a_recipe_does_not_go_with_resume_and_the_error_says_what_to_give(capsys, full_run):
    code, _, err = run(capsys, "train", "--dataset", "digits", "--resume",
                       str(full_run / "run-1.npz"), "--recipe", "fast")
    assert code == 2
    assert ("--recipe cannot be combined with --resume; give --components, --epochs, "
            "--batch-size and --validation-split as the interrupted run had them") in err
    # The pixels recipe trains on the pixels and holds a tenth out: what a resumed run needs.
    assert ("(the images' pixels recipe: --components 0 --epochs 20 --batch-size 128 "
            "--validation-split 0.1)") in err


@pytest.fixture(scope="module")
def projected_run(tmp_path_factory):
    """4 epochs on 16 principal components in one go, a checkpoint after each."""
    folder = tmp_path_factory.mktemp("projected")
    code = fastmlp.cli.main([*DIGITS, "--components", "16", "--epochs", "4", "--checkpoint",
                             str(folder / "run-{epoch}.npz"), "--save", str(folder / "full.npz")])
    assert code == 0
    return folder


def test_a_projected_run_checkpoints_its_trained_layers_and_resumes_bit_for_bit(
        capsys, tmp_path, projected_run):
    # The checkpoints hold the layers after the projection (16 inputs); the saved model is
    # the whole network (64 inputs).
    assert fastmlp.load(projected_run / "run-2.npz").n_inputs == 16
    assert fastmlp.load(projected_run / "full.npz").n_inputs == 64
    code, out, err = run(capsys, "train", "--dataset", "digits", "--no-progress", "--epochs",
                         "4", "--components", "16", "--resume", str(projected_run / "run-2.npz"),
                         "--save", str(tmp_path / "resumed.npz"))
    assert code == 0, err
    assert ("network   64-16-24-10, first layer the fixed projection onto 16 principal "
            "components") in out
    assert re.findall(r"^epoch (\d+/\d+) ", out, re.MULTILINE) == ["3/4", "4/4"]
    # The projection is fitted again on the same rows: the same bits, so the same run.
    resumed = fastmlp.load(tmp_path / "resumed.npz")
    full = fastmlp.load(projected_run / "full.npz")
    np.testing.assert_array_equal(resumed.flat_params, full.flat_params)


def test_evaluating_a_projected_checkpoint_says_what_it_holds(capsys, projected_run):
    code, _, err = run(capsys, "evaluate", str(projected_run / "run-2.npz"), "--dataset",
                       "digits")
    assert code == 1
    assert_one_line_error(err, "the model takes 16 features per sample, digits (8x8, shipped) "
                               "has 64", "A checkpoint of a --components run takes the "
                               "components; use the model its --save wrote.")


@pytest.mark.parametrize(("flags", "message"), [
    ((), "the network takes 16 inputs and digits (8x8, shipped) has 64 features; if the run "
         "projected them (--components; the image datasets' default recipe does), give "
         "--components 16"),
    (("--components", "12"), "the network takes 16 inputs, but --components 12 gives 12; give "
                             "the --components of the interrupted run"),
])
def test_resuming_a_projected_run_needs_its_components(capsys, projected_run, flags, message):
    code, out, err = run(capsys, "train", "--dataset", "digits", "--epochs", "4", "--resume",
                         str(projected_run / "run-2.npz"), *flags)
    assert code == 1 and "epoch" not in out
    assert_one_line_error(err, message)


def test_components_of_a_run_on_the_features_themselves_are_refused(capsys, full_run):
    code, _, err = run(capsys, "train", "--dataset", "digits", "--epochs", "5", "--resume",
                       str(full_run / "run-1.npz"), "--components", "8")
    assert code == 1
    assert_one_line_error(err, "the network takes 64 inputs, but --components 8 gives 8; give "
                               "the --components of the interrupted run (none: it trained on "
                               "the features themselves)")


def test_resume_with_nothing_left_to_train(capsys, full_run):
    code, _, err = run(capsys, "train", "--dataset", "digits", "--resume",
                       str(full_run / "run-5.npz"), "--epochs", "5")
    assert code == 1
    assert_one_line_error(err, "the run has done 5 epochs, and --epochs is 5")


def test_resume_past_the_end_of_a_cosine_schedule_is_refused(capsys, tmp_path):
    # The cosine schedule of a 2-epoch run is 0 from epoch 3 on: 2 more epochs would train
    # nothing, and say nothing.
    code, _, err = run(capsys, "train", "--dataset", "digits", "--no-progress", "--layers", "8",
                       "--schedule", "cosine", "--epochs", "2", "--save",
                       str(tmp_path / "two.npz"))
    assert code == 0, err
    code, _, err = run(capsys, "train", "--dataset", "digits", "--resume",
                       str(tmp_path / "two.npz"), "--epochs", "4")
    assert code == 1
    assert_one_line_error(err, r"is 0 from epoch 3 on, so epochs 3 to 4 would not change the "
                               r"weights")


def test_resume_from_a_file_without_optimizer(capsys, tmp_path):
    fastmlp.MLP([64, 8, 10], seed=0).save(tmp_path / "untrained.npz")
    code, _, err = run(capsys, "train", "--dataset", "digits", "--resume",
                       str(tmp_path / "untrained.npz"))
    assert code == 1
    assert_one_line_error(err, "untrained.npz: the file holds no optimizer state")


def test_resume_on_data_of_another_width(capsys, full_run):
    code, _, err = run(capsys, "train", "--dataset", "iris", "--resume",
                       str(full_run / "run-1.npz"))
    assert code == 1
    assert_one_line_error(err, "the network takes 64 features and 10 classes, but")


def test_resume_from_a_missing_or_damaged_file(capsys, tmp_path):
    code, _, err = run(capsys, "train", "--dataset", "digits", "--resume",
                       str(tmp_path / "nothing.npz"))
    assert code == 1
    assert_one_line_error(err, "nothing.npz: no such file")
    (tmp_path / "junk.npz").write_bytes(b"not a model")
    code, _, err = run(capsys, "train", "--dataset", "digits", "--resume",
                       str(tmp_path / "junk.npz"))
    assert code == 1
    assert_one_line_error(err, "junk.npz", "zip archive")


def test_checkpoint_path_problems_fail_before_training(capsys, tmp_path):
    code, out, err = run(capsys, "train", "--dataset", "digits", "--checkpoint",
                         str(tmp_path / "missing" / "run-{epoch}.npz"))
    assert code == 1
    assert_one_line_error(err, "--checkpoint", "does not exist")
    assert "epoch" not in out
    code, out, err = run(capsys, "train", "--dataset", "digits", "--checkpoint",
                         str(tmp_path / "run-{epoch.npz"))
    assert code == 2
    assert "--checkpoint: checkpoint path" in err and "is not a valid template" in err
