"""fastmlp.load and model.save: exact round trips, and files describing the wrong model refused."""

import json
import tracemalloc
import zipfile

import numpy as np
import pytest

import fastmlp
from fastmlp import (
    MLP,
    SGD,
    Dense,
    Dropout,
    LeakyReLU,
    ModelFileError,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from fastmlp.serialization import RESERVED_SECTIONS, read, write

D = 6


def every_layer(n_out, softmax):
    layers = [Dense(D, 10, bias=False), LeakyReLU(alpha=0.2), Dropout(0.25),
              Dense(10, 8, init="xavier_uniform"), Sigmoid(), Dense(8, 8, init=0.3), Tanh(),
              Dense(8, 7), ReLU(), Dense(7, n_out)]
    return layers + [Softmax()] if softmax else layers


BUILDERS = {
    "mlp-classifier": lambda backend, dtype: MLP([D, 12, 3], backend=backend, dtype=dtype,
                                                 seed=1),
    "mlp-regression": lambda backend, dtype: MLP([D, 12, 2], activation="tanh", loss="mse",
                                                 backend=backend, dtype=dtype, seed=1),
    "sequential-classifier": lambda backend, dtype: Sequential(
        every_layer(3, softmax=True), backend=backend, dtype=dtype, seed=2),
    "sequential-regression": lambda backend, dtype: Sequential(
        every_layer(2, softmax=False), loss="mse", backend=backend, dtype=dtype, seed=2),
}


def problem(model, n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, D))
    if model.is_classifier:
        return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)
    return X, np.stack([X[:, 0] - X[:, 1], np.tanh(X[:, 2])], axis=1)


def trained(kind, backend, dtype):
    model = BUILDERS[kind](backend, dtype)
    X, y = problem(model)
    model.fit(X, y, epochs=2, batch_size=16, verbose=0)
    return model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """One trained classifier saved to disk, and the raw arrays of its file."""
    path = tmp_path_factory.mktemp("saved") / "model.npz"
    model = trained("mlp-classifier", "numpy", "float32")
    model.save(path)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return path, model, arrays


def rewrite(path, source, config=None, **changes):
    """Copy the model file ``source`` to ``path`` with its config and arrays changed.

    ``changes`` replace arrays by name (None removes one). The result is a well-formed file:
    only what it describes is wrong.
    """
    header, arrays = read(source)
    arrays = {k: v for k, v in {**arrays, **changes}.items() if v is not None}
    sections = {k: v for k, v in header.items() if k not in RESERVED_SECTIONS}
    write(path, {**sections, "config": header["config"] if config is None else config}, arrays)
    return path


def config_of(path):
    return read(path)[0]["config"]


def peak_bytes(fn):
    """Run ``fn`` and return the peak memory it allocated (Python and NumPy)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", list(BUILDERS))
def test_round_trip_is_bit_identical(backend, tmp_path, kind, dtype):
    model = trained(kind, backend, dtype)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = fastmlp.load(path)

    assert loaded.backend == backend
    assert loaded.dtype is model.dtype
    assert loaded.config() == model.config()
    assert type(loaded.layers[-1]) is type(model.layers[-1])
    for mine, theirs in zip(model.parameters(), loaded.parameters(), strict=True):
        assert theirs.dtype == np.dtype(dtype)
        assert np.array_equal(mine, theirs)

    X, _ = problem(model, n=50, seed=3)
    assert np.array_equal(model.predict(X), loaded.predict(X))
    if model.is_classifier:
        assert np.array_equal(model.predict_proba(X), loaded.predict_proba(X))


def test_every_layer_type_survives(backend, tmp_path):
    model = BUILDERS["sequential-classifier"](backend, "float64")
    model.save(tmp_path / "m.npz")
    loaded = fastmlp.load(tmp_path / "m.npz")
    assert [repr(layer) for layer in loaded.layers] == [repr(layer) for layer in model.layers]
    assert loaded.layers[0].bias is False and loaded.layers[0].b is None
    assert loaded.layers[1].alpha == 0.2
    assert loaded.layers[2].p == 0.25


@pytest.mark.parametrize("override", ["numpy", "numba"])
def test_load_can_override_the_backend(backend, tmp_path, override):
    model = trained("sequential-classifier", backend, "float32")
    model.save(tmp_path / "m.npz")
    loaded = fastmlp.load(tmp_path / "m.npz", backend=override)
    assert loaded.backend == override
    assert loaded.ops is fastmlp.get_backend(override)
    assert loaded.dtype is np.float32
    # The weights are the file's whatever the backend; predictions agree to rounding.
    for mine, theirs in zip(model.parameters(), loaded.parameters()):
        assert np.array_equal(mine, theirs)
    X, _ = problem(model, seed=4)
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), rtol=1e-5,
                               atol=1e-6)


def test_loaded_model_continues_training_like_the_original(backend, tmp_path):
    model = trained("mlp-classifier", backend, "float64")
    model.save(tmp_path / "m.npz")
    loaded = fastmlp.load(tmp_path / "m.npz")
    X, y = problem(model)
    before = loaded.evaluate(X, y)["loss"]
    # No shuffling and no dropout: the same optimizer from the same weights takes the same steps.
    for m in (model, loaded):
        m.fit(X, y, epochs=5, batch_size=16, shuffle=False, optimizer=SGD(0.1, momentum=0.9),
              verbose=0)
    assert loaded.evaluate(X, y)["loss"] < before
    for mine, theirs in zip(model.parameters(), loaded.parameters()):
        assert np.array_equal(mine, theirs)


def test_load_accepts_str_and_path(saved):
    path, model, _ = saved
    X, _ = problem(model)
    for p in (path, str(path)):
        assert np.array_equal(fastmlp.load(p).predict_proba(X), model.predict_proba(X))




def test_file_from_before_the_arrays_list_loads(tmp_path):
    """The first version-1 files: a header with a "params" list, written by np.savez."""
    model = trained("sequential-classifier", "numpy", "float64")
    params = model.parameters()
    header = {"format": "fastmlp-model", "format_version": 1, "fastmlp_version": "0.1.0",
              "config": model.config(),
              "params": [{"shape": list(p.shape), "dtype": p.dtype.name} for p in params]}
    path = tmp_path / "early.npz"
    np.savez(path, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
             **{f"param_{i}": p for i, p in enumerate(params)})
    loaded = fastmlp.load(path)
    assert loaded.config() == model.config()
    for mine, theirs in zip(model.parameters(), loaded.parameters(), strict=True):
        assert np.array_equal(mine, theirs)


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_file_holds_no_pickle(tmp_path, kind):
    model = BUILDERS[kind]("numpy", "float64")
    path = tmp_path / "m.npz"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert names and all(name.endswith(".npy") for name in names)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}  # raises on any pickle
    params = {f"param_{i}" for i in range(len(model.parameters()))}
    assert set(arrays) == {"header"} | params
    for array in arrays.values():
        assert isinstance(array, np.ndarray)
        assert array.dtype != object
    header = json.loads(arrays["header"].tobytes().decode("utf-8"))
    assert header["format_version"] == 2
    assert header["config"] == model.config()
    assert set(header["arrays"]) == params


# --------------------------------------------------------------------------- wrong models


@pytest.mark.parametrize("change, message", [
    ({"layers": [{"type": "Conv2D"}]}, r"unknown layer type 'Conv2D'"),
    ({"layers": [{"n_in": 6, "n_out": 3}]}, r"its configuration lacks the entry 'type'"),
    ({"layers": [{"type": "Dense", "n_in": 6, "n_out": 3, "colour": 1}]},
     r"Dense.__init__\(\) got an unexpected keyword argument 'colour'"),
    ({"layers": [{"type": "Dense", "n_in": -6, "n_out": 3}]},
     r"Dense n_in must be a positive integer, got -6"),
    ({"layers": "Dense"}, r"its 'layers' should be a list of layer descriptions \(dicts\), "
                          r"found 'Dense'"),
    ({"layers": [["Dense"]]}, r"its 'layers' should be a list of layer descriptions"),
    ({"layers": None}, r"its 'layers' should be a list"),
    ({"loss": "hinge"}, r"unknown loss 'hinge'"),
    ({"dtype": "int8"}, r"unknown dtype 'int8'"),
    ({"backend": "gpu"}, r"unknown backend 'gpu'"),
    ({"seed": -1}, r"seed must be a non-negative integer"),
])
def test_header_describing_an_impossible_model(saved, tmp_path, change, message):
    path, _, _ = saved
    bad = rewrite(tmp_path / "odd.npz", path, config={**config_of(path), **change})
    with pytest.raises(ModelFileError, match=r"odd\.npz describes a model that cannot be built: "
                                             + message):
        fastmlp.load(bad)


@pytest.mark.parametrize("config", [None, [], "model"])
def test_header_without_config(saved, tmp_path, config):
    path, _, _ = saved
    header, arrays = read(path)
    write(tmp_path / "noconf.npz", {} if config is None else {"config": config}, arrays)
    with pytest.raises(ModelFileError, match=r"noconf\.npz has a damaged header: no model "
                                             r"configuration"):
        fastmlp.load(tmp_path / "noconf.npz")


def test_missing_parameter_array(saved, tmp_path):
    path, _, _ = saved
    bad = rewrite(tmp_path / "missing.npz", path, param_1=None)
    with pytest.raises(ModelFileError, match=r"missing\.npz is damaged: the architecture has 4 "
                                             r"parameter arrays but the file holds 3"):
        fastmlp.load(bad)


def test_misnamed_parameter_array(saved, tmp_path):
    path, _, arrays = saved
    bad = rewrite(tmp_path / "renamed.npz", path, param_1=None, weights=arrays["param_1"])
    with pytest.raises(ModelFileError, match=r"renamed\.npz is damaged: parameter 1 should be "
                                             r"float32 \(12,\), found nothing"):
        fastmlp.load(bad)


def test_extra_parameter_array(saved, tmp_path):
    path, _, _ = saved
    bad = rewrite(tmp_path / "extra.npz", path, param_4=np.zeros(3, np.float32))
    with pytest.raises(ModelFileError, match=r"has 4 parameter arrays but the file holds 5"):
        fastmlp.load(bad)


@pytest.mark.parametrize("stored, found", [
    (np.zeros((12, 6), np.float32), r"float32 \(12, 6\)"),
    (np.zeros((6, 12), np.float64), r"float64 \(6, 12\)"),
    (np.zeros(72, np.float32), r"float32 \(72,\)"),
])
def test_wrongly_shaped_parameter_array(saved, tmp_path, stored, found):
    path, _, _ = saved
    bad = rewrite(tmp_path / "shape.npz", path, param_0=stored)
    with pytest.raises(ModelFileError, match=r"shape\.npz is damaged: parameter 0 should be "
                                             r"float32 \(6, 12\), found " + found):
        fastmlp.load(bad)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_parameter(saved, tmp_path, value):
    path, _, arrays = saved
    weights = arrays["param_2"].copy()
    weights[1, 2] = value
    bad = rewrite(tmp_path / "nan.npz", path, param_2=weights)
    with pytest.raises(ModelFileError, match=r"nan\.npz is damaged: parameter 2 holds NaN or "
                                             r"infinite values"):
        fastmlp.load(bad)


def test_load_rejects_non_finite_weights(tmp_path):
    model = fastmlp.MLP([2, 3, 2], backend="numpy", seed=0)
    model.parameters()[0][0, 0] = np.nan
    path = tmp_path / "nan.npz"
    model.save(path)
    with pytest.raises(fastmlp.ModelFileError, match="NaN or infinite"):
        fastmlp.load(path)


@pytest.mark.parametrize("width", [20_000, 100_000])
def test_small_file_claiming_a_huge_network_is_refused_before_allocating(saved, tmp_path, width):
    """A few-kB file whose header claims Dense(width, width) took 15 s and 4.6 GB to refuse
    (20,000) or escaped as MemoryError (100,000): the model was built before its arrays were
    compared with the architecture."""
    path, _, _ = saved
    config = config_of(path)
    config["layers"][0] = {**config["layers"][0], "n_in": width, "n_out": width}
    config["layers"][2] = {**config["layers"][2], "n_in": width}
    bad = rewrite(tmp_path / "claim.npz", path, config=config)
    assert bad.stat().st_size < 20_000

    def attempt():
        with pytest.raises(ModelFileError, match=rf"claim\.npz is damaged: parameter 0 should "
                                                 rf"be float32 \({width}, {width}\), found "
                                                 r"float32 \(6, 12\)"):
            fastmlp.load(bad)

    assert peak_bytes(attempt) < 2 * 2**20


def test_unknown_backend_on_load_blames_the_argument(saved):
    path, _, _ = saved
    with pytest.raises(ValueError, match=r"unknown backend 'gpu'; valid backends are: 'numba', "
                                         r"'numpy'") as info:
        fastmlp.load(path, backend="gpu")
    assert not isinstance(info.value, ModelFileError)


def test_damaged_file_is_reported_by_load(saved, tmp_path):
    path, _, _ = saved
    cut = tmp_path / "cut.npz"
    cut.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ModelFileError, match=r"cut\.npz is not a readable fastmlp model file"):
        fastmlp.load(cut)


def test_non_existent_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.npz"):
        fastmlp.load(tmp_path / "nowhere.npz")
