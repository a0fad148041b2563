"""``fastmlp export``: a saved model becomes an ONNX file onnxruntime serves."""

import numpy as np
import onnxruntime as ort
import pytest

import fastmlp
from fastmlp.cli import main


@pytest.fixture
def saved(tmp_path):
    model = fastmlp.MLP([6, 5, 3], seed=0)
    path = tmp_path / "model.npz"
    model.save(path)
    return model, path


def test_export_writes_a_file_onnxruntime_serves(saved, tmp_path, capsys):
    model, path = saved
    out = tmp_path / "model.onnx"
    assert main(["export", str(path), str(out), "--opset", "15"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out} (ONNX opset 15, float32)" in printed
    assert "outputs probabilities [batch, 3], label [batch]" in printed
    X = np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32)
    probabilities, label = ort.InferenceSession(str(out)).run(None, {"input": X})
    np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0, atol=1e-5)
    np.testing.assert_array_equal(label, model.predict(X))


def test_export_regressor(tmp_path, capsys):
    path = tmp_path / "r.npz"
    fastmlp.MLP([2, 4, 2], loss="mse", dtype="float64", seed=0).save(path)
    assert main(["export", str(path), str(tmp_path / "r.onnx")]) == 0
    assert "outputs values [batch, 2]" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["{tmp}/missing.npz", "{tmp}/m.onnx"], "missing.npz: no such model file"),
    (["{model}", "{tmp}/no-folder/m.onnx"], "the folder {tmp}/no-folder does not exist"),
    (["{model}", "{tmp}/m.onnx", "--opset", "12"], "opset must lie in [13,"),
    (["{model}", "{tmp}"], "is a directory"),
    (["{tmp}/garbage.npz", "{tmp}/m.onnx"], "not a readable fastmlp model file"),
])
def test_export_errors_are_one_line(argv, message, saved, tmp_path, capsys):
    (tmp_path / "garbage.npz").write_bytes(b"not a model")
    fill = {"tmp": tmp_path, "model": saved[1]}
    code = main(["export"] + [arg.format(**fill) for arg in argv])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("fastmlp: error: ") and "Traceback" not in err
    assert message.format(**fill) in err
    assert not (tmp_path / "m.onnx").exists()


def test_export_without_onnx_says_what_to_install(saved, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "onnx", None)
    assert main(["export", str(saved[1]), str(tmp_path / "m.onnx")]) == 1
    assert 'pip install "fastmlp[onnx]"' in capsys.readouterr().err
