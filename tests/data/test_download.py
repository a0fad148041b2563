"""Downloads (fastmlp.data.download), against an http.server on 127.0.0.1 serving small IDX
files made here.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from dataset_files import STEMS, assert_loaded, gz_payloads, leftovers, write_dataset

import fastmlp.data as fd
from fastmlp.data import download, sources


@pytest.fixture
def served(server, monkeypatch):
    """The four files of a tiny dataset served under /good/, with their checksums in place."""
    arrays, files, sums = gz_payloads(99)
    for filename, data in files.items():
        server.serve(f"/good/{filename}", data)
    monkeypatch.setitem(sources.CHECKSUMS, "mnist", sums)
    server.files = files
    return server, arrays


def test_download_success_then_cached(env, served):
    server, arrays = served
    mirrors = [f"{server.url}/missing/", f"{server.url}/good/"]
    assert_loaded(fd.load_mnist(mirrors=mirrors, progress=False), arrays, scaled=True)
    cache = env.cache / "mnist"
    assert leftovers(cache) == sorted(f"{s}.gz" for s in STEMS)
    for filename, data in server.files.items():
        assert (cache / filename).read_bytes() == data
    assert len(server.hits) == 8  # each file: a 404 from the first mirror, then the second
    assert_loaded(fd.load_mnist(mirrors=mirrors, scaled=False), arrays, scaled=False)
    assert len(server.hits) == 8  # second load came from the cache


def test_download_uses_mirror_env_var_and_shows_progress(env, served, monkeypatch, capsys):
    server, arrays = served
    monkeypatch.setenv("FASTMLP_MNIST_MIRROR", f"{server.url}/good")  # no trailing slash
    assert_loaded(fd.load_mnist(), arrays, scaled=True)
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err
    assert all(hit.startswith("/good/") for hit in server.hits)


def test_download_dataset_keeps_files_already_there(env, served, tmp_path):
    server, _ = served
    target = tmp_path / "dl"
    target.mkdir()
    (target / "train-images-idx3-ubyte").write_bytes(b"mine")
    assert fd.download_dataset("mnist", target, mirrors=f"{server.url}/good/",
                               progress=False) == target
    assert (target / "train-images-idx3-ubyte").read_bytes() == b"mine"
    assert "/good/train-images-idx3-ubyte.gz" not in server.hits
    assert len(server.hits) == 3


def test_download_checksum_mismatch(env, served, monkeypatch):
    server, _ = served
    bad = dict(sources.CHECKSUMS["mnist"])
    bad["train-labels-idx1-ubyte.gz"] = {"sha256": "0" * 64}
    monkeypatch.setitem(sources.CHECKSUMS, "mnist", bad)
    with pytest.raises(fd.DatasetNotFoundError,
                       match=r"train-labels-idx1-ubyte\.gz: checksum mismatch: sha256 of the "
                             r"\d+ bytes received is [0-9a-f]{64}, expected 0{64}") as info:
        fd.load_mnist(mirrors=f"{server.url}/good/", progress=False)
    assert isinstance(info.value.__cause__, fd.DownloadError)
    # The verified first file stays; the bad one and any temporary file do not.
    assert leftovers(env.cache) == ["train-images-idx3-ubyte.gz"]


def test_download_truncated_body(env, served):
    server, _ = served
    data = server.files["train-images-idx3-ubyte.gz"]
    server.serve("/cut/train-images-idx3-ubyte.gz", data[:100], declared=len(data))
    with pytest.raises(fd.DatasetNotFoundError,
                       match=rf"truncated download: the server announced {len(data)} bytes "
                             r"but the connection closed after 100"):
        fd.load_mnist(mirrors=f"{server.url}/cut/", progress=False)
    assert leftovers(env.root / "xdg") == []


def test_download_404(env, served):
    server, _ = served
    with pytest.raises(fd.DatasetNotFoundError,
                       match=r"/nothing/train-images-idx3-ubyte\.gz: HTTP 404 Not Found"):
        fd.load_mnist(mirrors=f"{server.url}/nothing/", progress=False)
    assert leftovers(env.root / "xdg") == []


def test_download_server_gone(env, closed_port_url):
    with pytest.raises(fd.DatasetNotFoundError,
                       match=r"could not connect \(connection refused: is the server up\?\)"):
        fd.load_mnist(mirrors=closed_port_url, progress=False)
    assert leftovers(env.root / "xdg") == []


def test_download_timeout(env, served):
    server, _ = served
    server.serve("/slow/train-images-idx3-ubyte.gz", b"", stall=True)
    with pytest.raises(fd.DatasetNotFoundError, match=r"slow/train-images-idx3-ubyte\.gz: timed"):
        fd.load_mnist(mirrors=f"{server.url}/slow/", timeout=0.3, progress=False)
    assert leftovers(env.root / "xdg") == []


def test_download_file_url_and_bad_scheme(env, served, tmp_path):
    server, arrays = served
    local = tmp_path / "mirror"
    local.mkdir()
    for filename, data in server.files.items():
        (local / filename).write_bytes(data)
    assert_loaded(fd.load_mnist(mirrors=local.as_uri() + "/", progress=False), arrays,
                  scaled=True)
    with pytest.raises(fd.DownloadError, match=r"unsupported URL scheme 'ftp'"):
        fd.download_dataset("mnist", tmp_path / "x", mirrors="ftp://example.invalid/",
                            progress=False)


def test_no_mirrors_configured(env):
    with pytest.raises(fd.DatasetNotFoundError, match=r"no mirrors configured"):
        fd.load_mnist(progress=False)


def test_a_mirror_that_drips_bytes_is_abandoned_for_the_next(env, served):
    """One byte every 20 ms never trips a 0.4 s socket timeout, yet is far below 16 KiB per
    0.4 s: the stall rule gives up on the mirror and the next one serves the file."""
    server, arrays = served
    for filename, data in server.files.items():
        server.serve(f"/drip/{filename}", data, drip=0.02)
    mirrors = [f"{server.url}/drip/", f"{server.url}/good/"]
    assert_loaded(fd.load_mnist(mirrors=mirrors, timeout=0.4, progress=False), arrays,
                  scaled=True)
    assert [hit.split("/")[1] for hit in server.hits] == ["drip", "good"] * 4
    assert leftovers(env.cache / "mnist") == sorted(f"{s}.gz" for s in STEMS)


def test_a_dripping_mirror_alone_fails_with_the_stall_named(env, served, tmp_path):
    server, _ = served
    data = server.files["train-images-idx3-ubyte.gz"]
    server.serve("/drip/train-images-idx3-ubyte.gz", data, drip=0.02)
    assert len(data) < download.STALL_BYTES  # so all of it is due within the first 0.3 s
    with pytest.raises(fd.DownloadError, match=rf"drip/train-images-idx3-ubyte\.gz: stalled: "
                                               rf"only \d+ bytes arrived in 0\.\d s \(at least "
                                               rf"{len(data)} are expected every 0\.3 s\); "
                                               r"giving up on this mirror"):
        download.fetch_url(f"{server.url}/drip/train-images-idx3-ubyte.gz", tmp_path / "x.gz",
                     checksums={}, timeout=0.3, progress=False)
    assert leftovers(tmp_path) == []


def test_a_slow_mirror_that_keeps_up_the_minimum_is_kept(env, served, tmp_path, monkeypatch):
    """The rule is a minimum rate, not a deadline: 1 byte per 20 ms is enough when the
    minimum is 4 bytes per 0.3 s, however long the whole file takes."""
    server, _ = served
    monkeypatch.setattr(download, "STALL_BYTES", 4)
    body = bytes(range(40))
    server.serve("/slow/small.bin", body, drip=0.02)
    path = download.fetch_url(f"{server.url}/slow/small.bin", tmp_path / "small.bin", checksums={},
                        timeout=0.3, progress=False)
    assert path.read_bytes() == body


@pytest.mark.parametrize("timeout, error, match", [
    (-1, ValueError, r"timeout \(seconds per mirror\) must be > 0, got -1"),
    (0, ValueError, r"must be > 0, got 0"),
    (float("nan"), ValueError, r"must be > 0, got nan"),
    (float("inf"), ValueError, r"must be > 0, got inf"),
    ("30", TypeError, r"timeout \(seconds per mirror\) must be a number, got str '30'"),
    (True, TypeError, r"must be a number, got bool True"),
    (None, TypeError, r"must be a number, got NoneType None"),
])
def test_timeout_is_validated_everywhere(env, served, tmp_path, timeout, error, match):
    server, _ = served
    url = f"{server.url}/good/"
    calls = [
        lambda: fd.load_mnist(mirrors=url, timeout=timeout, progress=False),
        lambda: fd.load_fashion_mnist(mirrors=url, timeout=timeout, progress=False),
        lambda: fd.download_dataset("mnist", tmp_path / "d", mirrors=url, timeout=timeout),
        lambda: download.fetch_url(url + "t10k-labels-idx1-ubyte.gz", tmp_path / "f", checksums={},
                             timeout=timeout),
        lambda: download.fetch_from_mirrors("t10k-labels-idx1-ubyte.gz", [url], tmp_path,
                                               checksums={}, timeout=timeout),
    ]
    for call in calls:
        with pytest.raises(error, match=match):
            call()
    assert server.hits == []
    assert leftovers(tmp_path) == []


def test_timeout_is_checked_even_when_the_files_are_on_disk(env):
    write_dataset(env.system / "mnist", 44)
    with pytest.raises(TypeError, match=r"timeout \(seconds per mirror\) must be a number"):
        fd.load_mnist(timeout="fast")


def test_temporary_file_of_a_killed_download_is_removed_by_the_next(env, served, tmp_path):
    server, _ = served
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(done.stdout)  # that process has exited: its pid runs nothing of ours
    stale = tmp_path / f".t10k-labels-idx1-ubyte.gz.{dead}-0123456789ab.fastmlp-tmp"
    stale.write_bytes(b"half a download")
    download.fetch_url(f"{server.url}/good/t10k-labels-idx1-ubyte.gz",
                       tmp_path / "t10k-labels-idx1-ubyte.gz", checksums={}, progress=False)
    assert leftovers(tmp_path) == ["t10k-labels-idx1-ubyte.gz"]
    (tmp_path / "plain.txt").write_text("x")  # downloads get the permissions of new files
    assert ((tmp_path / "t10k-labels-idx1-ubyte.gz").stat().st_mode
            == (tmp_path / "plain.txt").stat().st_mode)
