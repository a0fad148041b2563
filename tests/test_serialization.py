"""save/load: exact round trips, no pickle, clear errors on damaged files, atomic writes."""

import json
import os
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


def write_npz(path, arrays, **changes):
    """Write ``arrays`` with entries replaced (or removed, for None) by ``changes``."""
    arrays = {**arrays, **changes}
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def header_bytes(obj):
    return np.frombuffer(json.dumps(obj).encode("utf-8"), dtype=np.uint8)


def header_of(arrays):
    return json.loads(arrays["header"].tobytes().decode("utf-8"))


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


# --------------------------------------------------------------------------- no pickle


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
    assert set(arrays) == {"header"} | {f"param_{i}" for i in range(len(model.parameters()))}
    for array in arrays.values():
        assert isinstance(array, np.ndarray)
        assert array.dtype != object
    assert arrays["header"].dtype == np.uint8
    assert header_of(arrays)["format_version"] == 1


# --------------------------------------------------------------------------- damaged files


def test_random_bytes(tmp_path):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ModelFileError, match=r"random\.npz is not a readable fastmlp model file "
                                             r"\(expected an \.npz archive written by "
                                             r"model\.save\)"):
        fastmlp.load(path)


def test_text_file_is_not_taken_for_a_pickle(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("these are not weights\n")
    with pytest.raises(ModelFileError, match=r"not a readable fastmlp model file") as info:
        fastmlp.load(path)
    assert "pickle" not in str(info.value)


def test_bare_npy_file(tmp_path):
    path = tmp_path / "weights.npy"
    np.save(path, np.ones((3, 3)))
    with pytest.raises(ModelFileError, match=r"weights\.npy is not a readable fastmlp model"):
        fastmlp.load(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    with pytest.raises(ModelFileError, match=r"empty\.npz is not a readable fastmlp model"):
        fastmlp.load(path)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_truncated_file(saved, tmp_path, keep):
    path, _, _ = saved
    raw = path.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(raw[:int(len(raw) * keep)])
    with pytest.raises(ModelFileError, match=r"cut\.npz is not a readable fastmlp model file"):
        fastmlp.load(cut)


def test_flipped_byte_in_weights(saved, tmp_path):
    path, _, _ = saved
    raw = bytearray(path.read_bytes())
    raw[raw.index(b"param_0.npy") + 200] ^= 0xFF
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match=r"flipped\.npz is not a readable fastmlp model "
                                             r"file .*CRC"):
        fastmlp.load(bad)


def test_npz_without_header(saved, tmp_path):
    _, _, arrays = saved
    path = write_npz(tmp_path / "plain.npz", arrays, header=None)
    with pytest.raises(ModelFileError, match=r"plain\.npz is an \.npz archive but not a fastmlp "
                                             r"model \(it has no header\)"):
        fastmlp.load(path)


def test_zip_member_that_is_not_an_array(tmp_path):
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("header.npy", "not an npy payload")
    with pytest.raises(ModelFileError, match=r"odd\.npz is damaged: its entry 'header' is not a "
                                             r"NumPy array"):
        fastmlp.load(path)


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe\x00", b""])
def test_header_with_invalid_json(saved, tmp_path, raw):
    _, _, arrays = saved
    path = write_npz(tmp_path / "bad.npz", arrays, header=np.frombuffer(raw, dtype=np.uint8))
    with pytest.raises(ModelFileError, match=r"bad\.npz has a damaged header"):
        fastmlp.load(path)


@pytest.mark.parametrize("header", [[1, 2], {"format": "something-else"}, "fastmlp-model"])
def test_header_of_another_format(saved, tmp_path, header):
    _, _, arrays = saved
    path = write_npz(tmp_path / "other.npz", arrays, header=header_bytes(header))
    with pytest.raises(ModelFileError, match=r"other\.npz is not a fastmlp model file \(its "
                                             r"header does not say format='fastmlp-model'\)"):
        fastmlp.load(path)


def test_format_version_from_the_future(saved, tmp_path):
    _, _, arrays = saved
    header = {**header_of(arrays), "format_version": 999}
    path = write_npz(tmp_path / "future.npz", arrays, header=header_bytes(header))
    with pytest.raises(ModelFileError, match=r"future\.npz uses model format version 999, but "
                                             rf"this fastmlp \({fastmlp.__version__}\) reads "
                                             r"version 1; upgrade fastmlp to read it"):
        fastmlp.load(path)


@pytest.mark.parametrize("change, message", [
    ({"layers": [{"type": "Conv2D"}]}, r"unknown layer type 'Conv2D'"),
    ({"layers": [{"n_in": 6, "n_out": 3}]}, r"its configuration lacks the entry 'type'"),
    ({"loss": "hinge"}, r"unknown loss 'hinge'"),
    ({"dtype": "int8"}, r"unknown dtype 'int8'"),
])
def test_header_describing_an_impossible_model(saved, tmp_path, change, message):
    _, _, arrays = saved
    header = header_of(arrays)
    header["config"] = {**header["config"], **change}
    path = write_npz(tmp_path / "odd.npz", arrays, header=header_bytes(header))
    with pytest.raises(ModelFileError, match=r"odd\.npz describes a model that cannot be built: "
                                             + message):
        fastmlp.load(path)


def test_header_without_config(saved, tmp_path):
    _, _, arrays = saved
    header = {k: v for k, v in header_of(arrays).items() if k != "config"}
    path = write_npz(tmp_path / "noconf.npz", arrays, header=header_bytes(header))
    with pytest.raises(ModelFileError, match=r"noconf\.npz has a damaged header: no model "
                                             r"configuration"):
        fastmlp.load(path)


def test_missing_parameter_array(saved, tmp_path):
    _, _, arrays = saved
    path = write_npz(tmp_path / "missing.npz", arrays, param_1=None)
    with pytest.raises(ModelFileError, match=r"missing\.npz is damaged: the architecture has 4 "
                                             r"parameter arrays but the file holds 3"):
        fastmlp.load(path)


def test_misnamed_parameter_array(saved, tmp_path):
    _, _, arrays = saved
    path = write_npz(tmp_path / "renamed.npz", arrays, param_1=None, weights=arrays["param_1"])
    with pytest.raises(ModelFileError, match=r"renamed\.npz is damaged: parameter 1 should be "
                                             r"float32 \(12,\), found nothing"):
        fastmlp.load(path)


def test_extra_parameter_array(saved, tmp_path):
    _, _, arrays = saved
    path = write_npz(tmp_path / "extra.npz", arrays, param_4=np.zeros(3, np.float32))
    with pytest.raises(ModelFileError, match=r"has 4 parameter arrays but the file holds 5"):
        fastmlp.load(path)


@pytest.mark.parametrize("bad, found", [
    (np.zeros((12, 6), np.float32), r"float32 \(12, 6\)"),
    (np.zeros((6, 12), np.float64), r"float64 \(6, 12\)"),
    (np.zeros(72, np.float32), r"float32 \(72,\)"),
])
def test_wrongly_shaped_parameter_array(saved, tmp_path, bad, found):
    _, _, arrays = saved
    path = write_npz(tmp_path / "shape.npz", arrays, param_0=bad)
    with pytest.raises(ModelFileError, match=r"shape\.npz is damaged: parameter 0 should be "
                                             r"float32 \(6, 12\), found " + found):
        fastmlp.load(path)


def test_object_array_is_refused(saved, tmp_path):
    _, _, arrays = saved
    path = tmp_path / "pickled.npz"
    np.savez(path, **{**arrays, "param_0": np.empty((6, 12), dtype=object)})
    with pytest.raises(ModelFileError, match=r"pickled\.npz is not a readable fastmlp model "
                                             r"file .*allow_pickle=False"):
        fastmlp.load(path)


def test_non_existent_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.npz"):
        fastmlp.load(tmp_path / "nowhere.npz")


def test_directory_instead_of_a_file(tmp_path):
    with pytest.raises(ModelFileError, match=r"is not a readable fastmlp model file"):
        fastmlp.load(tmp_path)


def test_unknown_backend_on_load_blames_the_argument(saved):
    path, _, _ = saved
    with pytest.raises(ValueError, match=r"unknown backend 'gpu'; valid backends are: 'numba', "
                                         r"'numpy'") as info:
        fastmlp.load(path, backend="gpu")
    assert not isinstance(info.value, ModelFileError)


# --------------------------------------------------------------------------- atomic save


def test_save_over_an_existing_file_replaces_it(backend, tmp_path):
    path = tmp_path / "model.npz"
    first = trained("mlp-classifier", backend, "float32")
    second = trained("sequential-classifier", backend, "float64")
    first.save(path)
    second.save(path)
    assert os.listdir(tmp_path) == ["model.npz"]
    loaded = fastmlp.load(path)
    assert loaded.config() == second.config()
    X, _ = problem(second)
    assert np.array_equal(loaded.predict_proba(X), second.predict_proba(X))


def test_failed_save_leaves_the_old_file_and_no_temporary_files(saved, tmp_path, monkeypatch):
    _, model, _ = saved
    path = tmp_path / "model.npz"
    model.save(path)
    before = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    with pytest.raises(OSError, match="disk full"):
        model.save(tmp_path / "new.npz")
    assert os.listdir(tmp_path) == ["model.npz"]
    assert path.read_bytes() == before


def test_interrupted_save_leaves_no_temporary_files(saved, tmp_path, monkeypatch):
    _, model, _ = saved

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.save(tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_saved_file_has_the_usual_permissions(saved, tmp_path):
    _, model, _ = saved
    (tmp_path / "plain.txt").write_text("x")  # an ordinary new file, under the current umask
    model.save(tmp_path / "model.npz")
    assert (tmp_path / "model.npz").stat().st_mode == (tmp_path / "plain.txt").stat().st_mode


def test_save_into_a_missing_directory(saved, tmp_path):
    _, model, _ = saved
    with pytest.raises(FileNotFoundError):
        model.save(tmp_path / "no" / "such" / "dir" / "model.npz")
    assert os.listdir(tmp_path) == []
