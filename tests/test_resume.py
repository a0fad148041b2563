"""Checkpoints that resume exactly: save, load (in a new process), train on, and get the bits of
one uninterrupted run; the optimizer and generator sections of a model file, and their damage."""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import fastmlp
from fastmlp import MLP, SGD, Adam, CosineDecay, ModelCheckpoint, StepDecay
from fastmlp.serialization import RESERVED_SECTIONS, ModelFileError, read, write

# Short runs on toy data, to compare bits, not to learn: no "training ended no better than
# chance" warnings.
pytestmark = pytest.mark.filterwarnings("ignore::fastmlp.training.health.DivergenceWarning")

D, K, N = 6, 3, 70


def dataset():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(N, D))
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)


#: name -> (backend, dtype, optimizer, dropout); dropout trains epoch by epoch, its absence
#: (on numba, verbose=0, no callbacks) several epochs per kernel call.
CASES = {
    f"{opt}-{backend}-{dtype}": (backend, dtype, opt, 0.25)
    for opt in ("adam", "sgd") for backend in ("numba", "numpy")
    for dtype in ("float32", "float64")
}
CASES["adam-numba-float32-no-dropout"] = ("numba", "float32", "adam", 0.0)


def make_optimizer(name):
    if name == "adam":
        return Adam(StepDecay(0.02, step_size=2, gamma=0.5), weight_decay=1e-3)
    return SGD(CosineDecay(0.1, epochs=6, lr_min=0.01), momentum=0.9, nesterov=True)


def make_model(backend, dtype, dropout):
    return MLP([D, 16, 12, K], dropout=dropout, backend=backend, dtype=dtype, seed=5)


def fit(model, epochs, optimizer=None):
    model.fit(*dataset(), epochs=epochs, batch_size=16, optimizer=optimizer, verbose=0)


# The second half of each run, in a process of its own: what it knows comes from the files.
CHILD = """
import sys
import fastmlp
sys.path.insert(0, {tests!r})
from test_resume import fit

for name in {names!r}:
    model = fastmlp.load({folder!r} + "/" + name + "-3.npz")
    fit(model, 3)
    model.save({folder!r} + "/" + name + "-3+3.npz")
"""


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """For each case: the model of 6 epochs in one go, and the file of 3 + 3 epochs (3 here,
    then 3 more in a new process from the saved file)."""
    folder = tmp_path_factory.mktemp("resume")
    straight = {}
    for name, (backend, dtype, opt, dropout) in CASES.items():
        model = make_model(backend, dtype, dropout)
        fit(model, 3, make_optimizer(opt))
        model.save(folder / f"{name}-3.npz")
        model = make_model(backend, dtype, dropout)
        fit(model, 6, make_optimizer(opt))
        straight[name] = model
    root = str(Path(fastmlp.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    code = CHILD.format(tests=str(Path(__file__).parent), names=list(CASES),
                        folder=str(folder))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return straight, folder


@pytest.mark.parametrize("name", list(CASES))
def test_three_plus_three_epochs_in_two_processes_equal_six_in_one(resumed, name):
    straight, folder = resumed
    expected = straight[name]
    resumed_model = fastmlp.load(folder / f"{name}-3+3.npz")
    for a, b in zip(expected.parameters(), resumed_model.parameters(), strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)  # bit for bit
    ours, theirs = expected.optimizer, resumed_model.optimizer
    assert theirs.iterations == ours.iterations == 6 * 5  # 70 rows in batches of 16
    assert theirs.epochs == ours.epochs == 6
    assert theirs.current_lr == ours.current_lr
    for key, flat in ours.flat_state.items():
        np.testing.assert_array_equal(theirs.flat_state[key], flat)
    assert (resumed_model._rng.bit_generator.state == expected._rng.bit_generator.state)


def test_a_fresh_start_from_the_weights_alone_differs(resumed):
    """The control: without the optimizer and generator state, 3 + 3 is not 6."""
    straight, folder = resumed
    name = "adam-numpy-float64"
    model = fastmlp.load(folder / f"{name}-3.npz")
    model.optimizer = None
    model._rng = np.random.default_rng(model.seed)
    fit(model, 3, make_optimizer("adam"))
    assert not np.array_equal(model.flat_params, straight[name].flat_params)


@pytest.mark.parametrize("loss", ["mse", "binary_cross_entropy"])
def test_regressors_and_multi_label_models_resume_too(tmp_path, loss):
    X, _ = dataset()
    y = X[:, :2] * 2 if loss == "mse" else (X[:, :3] > 0).astype(float)

    def run(model, epochs, optimizer=None):
        model.fit(X, y, epochs=epochs, batch_size=16, optimizer=optimizer, verbose=0)
        return model

    def new_model():
        return MLP([D, 8, y.shape[1]], loss=loss, dropout=0.2, seed=1)

    run(new_model(), 2, make_optimizer("adam")).save(tmp_path / "m.npz")
    resumed = run(fastmlp.load(tmp_path / "m.npz"), 2)
    straight = run(new_model(), 4, make_optimizer("adam"))
    np.testing.assert_array_equal(resumed.flat_params, straight.flat_params)


# --------------------------------------------------------------------------- what is stored


def test_save_and_load_restore_optimizer_and_generator(tmp_path):
    model = make_model("numpy", "float32", 0.25)
    fit(model, 2, make_optimizer("sgd"))
    model.save(tmp_path / "m.npz")
    header, arrays = read(tmp_path / "m.npz")
    assert header["format_version"] == 2
    assert header["optimizer"]["type"] == "SGD"
    assert header["optimizer"]["config"]["lr"] == {
        "type": "CosineDecay", "params": {"lr": 0.1, "epochs": 6, "lr_min": 0.01}}
    assert header["optimizer"]["epochs"] == 2 and header["optimizer"]["iterations"] == 10
    assert set(arrays) == {f"param_{i}" for i in range(6)} | {"optimizer.velocity"}
    assert arrays["optimizer.velocity"].dtype == np.float32
    loaded = fastmlp.load(tmp_path / "m.npz", backend="numba")
    assert repr(loaded.optimizer) == repr(model.optimizer)
    assert loaded._rng.bit_generator.state == model._rng.bit_generator.state
    assert loaded._rng.random() == model._rng.random()


def test_model_never_trained_has_no_optimizer_section(tmp_path):
    model = make_model("numpy", "float64", 0.0)
    model.save(tmp_path / "m.npz")
    header, arrays = read(tmp_path / "m.npz")
    assert "optimizer" not in header and "random_state" in header
    assert fastmlp.load(tmp_path / "m.npz").optimizer is None


def test_optimizer_set_but_not_bound_is_saved_as_fit_would_start_it(tmp_path):
    model = make_model("numpy", "float64", 0.0)
    fit(model, 2, Adam(0.01))
    model.optimizer = Adam(StepDecay(0.05, 1))  # not trained with yet
    model.save(tmp_path / "m.npz")
    loaded = fastmlp.load(tmp_path / "m.npz")
    assert loaded.optimizer.iterations == loaded.optimizer.epochs == 0
    assert not loaded.optimizer.flat_state["m"].any()
    fit(loaded, 1)
    fit(model, 1)
    np.testing.assert_array_equal(loaded.flat_params, model.flat_params)


def test_custom_schedule_saves_the_model_without_the_optimizer_and_warns(tmp_path):
    model = make_model("numpy", "float32", 0.0)
    fit(model, 1, Adam(lambda epoch: 0.01 / (1 + epoch)))
    with pytest.warns(UserWarning, match=r"m\.npz: the model is saved without its optimizer: "
                                         r"the learning-rate schedule .* cannot be stored"):
        model.save(tmp_path / "m.npz")
    loaded = fastmlp.load(tmp_path / "m.npz")
    assert loaded.optimizer is None
    np.testing.assert_array_equal(loaded.flat_params, model.flat_params)


def test_include_optimizer_false_leaves_it_out_without_a_warning(tmp_path):
    model = make_model("numpy", "float32", 0.0)
    fit(model, 1, Adam(lambda epoch: 0.01))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.save(tmp_path / "m.npz", include_optimizer=False)
    header, arrays = read(tmp_path / "m.npz")
    assert "optimizer" not in header and not any(k.startswith("optimizer.") for k in arrays)
    with pytest.raises(TypeError, match="include_optimizer must be True or False"):
        model.save(tmp_path / "m.npz", include_optimizer="no")


def test_version_1_file_still_loads(tmp_path, monkeypatch):
    model = make_model("numpy", "float32", 0.0)
    fit(model, 1, Adam())
    monkeypatch.setattr("fastmlp.serialization.FORMAT_VERSION", 1)
    write(tmp_path / "v1.npz", {"config": model.config()},
          {f"param_{i}": p for i, p in enumerate(model.parameters())})
    monkeypatch.undo()
    assert read(tmp_path / "v1.npz")[0]["format_version"] == 1
    loaded = fastmlp.load(tmp_path / "v1.npz")
    assert loaded.optimizer is None
    np.testing.assert_array_equal(loaded.flat_params, model.flat_params)
    fit(loaded, 1)  # trains on with a fresh Adam
    assert loaded.optimizer.iterations == 5


def test_model_checkpoint_files_resume_the_run(tmp_path):
    X, y = dataset()
    straight = make_model("numba", "float32", 0.25)
    checkpoint = ModelCheckpoint(tmp_path / "run-{epoch}.npz", save_best_only=False)
    straight.fit(X, y, epochs=4, batch_size=16, optimizer=make_optimizer("adam"), verbose=0,
                 callbacks=[checkpoint])
    assert len(checkpoint.saved) == 4
    model = fastmlp.load(tmp_path / "run-2.npz")
    assert model.optimizer.epochs == 2
    model.fit(X, y, epochs=2, batch_size=16, verbose=0)
    np.testing.assert_array_equal(model.flat_params, straight.flat_params)


# --------------------------------------------------------------------------- damage


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("damage") / "m.npz"
    model = make_model("numpy", "float32", 0.0)
    fit(model, 1, make_optimizer("adam"))
    model.save(path)
    return path


def damaged(tmp_path, saved, edit=None, drop=(), **arrays_changed):
    """A well-formed copy of ``saved``, bad.npz, with its sections edited (``edit``, ``drop``)
    and arrays changed (None removes one)."""
    header, arrays = read(saved)
    sections = {k: v for k, v in header.items() if k not in RESERVED_SECTIONS and k not in drop}
    if edit is not None:
        edit(sections)
    arrays = {k: v for k, v in {**arrays, **arrays_changed}.items() if v is not None}
    write(tmp_path / "bad.npz", sections, arrays)
    return tmp_path / "bad.npz"


def set_in(path, value):
    def edit(sections):
        *parents, last = path
        target = sections
        for key in parents:
            target = target[key]
        target[last] = value
    return edit


@pytest.mark.parametrize(("edit", "message"), [
    (set_in(["optimizer", "type"], "Adagrad"), r"unknown optimizer type 'Adagrad'"),
    (set_in(["optimizer", "config", "lr"], {"type": "OneCycle", "params": {}}),
     r"the Adam optimizer's learning rate: unknown learning-rate schedule type 'OneCycle'"),
    (set_in(["optimizer", "config", "beta2"], 2.0), r"Adam optimizer cannot be rebuilt"),
    (set_in(["optimizer", "iterations"], "many"), r"iterations should be a count"),
    (set_in(["optimizer", "epochs"], -2), r"epochs should be a count"),
    (set_in(["optimizer"], "Adam"), r"description should be a dict"),
])
def test_damaged_optimizer_section_is_named(tmp_path, saved, edit, message):
    bad = damaged(tmp_path, saved, edit)
    with pytest.raises(ModelFileError, match=r"bad\.npz has a damaged optimizer section: .*"
                                             + message):
        fastmlp.load(bad)


def test_optimizer_state_that_does_not_fit_the_weights(tmp_path, saved):
    _, arrays = read(saved)
    size = arrays["optimizer.m"].size
    cases = [
        ({"optimizer.m": arrays["optimizer.m"][:-3]},
         rf"state vector 'm' holds {size - 3} values .*but the model has {size} parameters"),
        ({"optimizer.v": None}, r"keeps the state vectors m, v; missing v"),
        ({"optimizer.m": arrays["optimizer.m"].astype(np.float64)}, r"'m' is float64"),
        ({"optimizer.v": np.full(size, np.inf, np.float32)}, r"'v' holds NaN or infinite"),
    ]
    for changes, message in cases:
        bad = damaged(tmp_path, saved, **changes)
        with pytest.raises(ModelFileError, match=r"bad\.npz has a damaged optimizer section: .*"
                                                 + message):
            fastmlp.load(bad)
    bad = damaged(tmp_path, saved, drop=("optimizer",))
    with pytest.raises(ModelFileError, match=r"holds optimizer state vectors \(m, v\) but no "
                                             r"optimizer description"):
        fastmlp.load(bad)


@pytest.mark.parametrize(("edit", "message"), [
    (set_in(["random_state"], [1, 2]), r"should be a dict with the keys"),
    (set_in(["random_state", "bit_generator"], "MT19937"), r"is 'MT19937', not 'PCG64'"),
    (set_in(["random_state", "state", "inc"], -1), r"two integers 'state' and 'inc'"),
    (set_in(["random_state", "state", "state"], 2**128), r"two integers 'state' and 'inc'"),
    (set_in(["random_state", "has_uint32"], 2), r"'has_uint32' should be 0 or 1"),
    (set_in(["random_state", "uinteger"], 1.5), r"'uinteger' should be an integer"),
])
def test_damaged_generator_state_is_named(tmp_path, saved, edit, message):
    bad = damaged(tmp_path, saved, edit)
    with pytest.raises(ModelFileError, match=r"bad\.npz has a damaged random generator state: .*"
                                             + message):
        fastmlp.load(bad)
