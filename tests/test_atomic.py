"""Atomic saves: old file or complete new one, errors naming the user's path, links followed,
special files never replaced, no temporary file left behind for good (issue 9, item 7)."""

import errno
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

import fastmlp
from fastmlp import MLP, Sequential
from fastmlp._atomic import atomic_write, check_writable


@pytest.fixture(scope="module")
def model():
    return MLP([6, 12, 3], backend="numpy", seed=1)


def other_model():
    return Sequential([fastmlp.Dense(6, 4), fastmlp.Tanh(), fastmlp.Dense(4, 3)],
                      backend="numpy", dtype="float64", seed=2)


def same_weights(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))


def temporary_files(folder):
    return [name for name in os.listdir(folder) if name.endswith(".fastmlp-tmp")]


# --------------------------------------------------------------------------- replacing


def test_save_over_an_existing_file_replaces_it(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    second = other_model()
    second.save(path)
    assert os.listdir(tmp_path) == ["model.npz"]
    loaded = fastmlp.load(path)
    assert loaded.config() == second.config() and same_weights(loaded, second)


def test_failed_save_leaves_the_old_file_and_names_the_users_path(model, tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    model.save(path)
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", disk_full)
    for target in (path, tmp_path / "new.npz"):
        with pytest.raises(OSError, match="No space left on device") as info:
            model.save(target)
        assert info.value.errno == errno.ENOSPC
        assert info.value.filename == str(target)
        assert ".fastmlp" not in str(info.value)
    assert os.listdir(tmp_path) == ["model.npz"]
    assert path.read_bytes() == before


def test_error_without_errno_still_names_the_users_path(model, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", broken)
    with pytest.raises(OSError, match=r"cannot write the model file .*model\.npz: disk full"):
        model.save(tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_interrupted_save_leaves_no_temporary_files(model, tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    model.save(path)
    before = path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np.lib.format, "write_array", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert os.listdir(tmp_path) == ["model.npz"]
    assert path.read_bytes() == before


def test_saved_file_has_the_usual_permissions(model, tmp_path):
    (tmp_path / "plain.txt").write_text("x")  # an ordinary new file, under the current umask
    model.save(tmp_path / "model.npz")
    assert (tmp_path / "model.npz").stat().st_mode == (tmp_path / "plain.txt").stat().st_mode


def test_replaced_file_keeps_its_permissions(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    path.chmod(0o600)
    other_model().save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --------------------------------------------------------------------------- bad paths


def test_save_into_a_missing_directory_names_the_users_path(model, tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "model.npz"
    with pytest.raises(FileNotFoundError) as info:
        model.save(target)
    assert info.value.filename == str(target)
    assert os.listdir(tmp_path) == []


def test_save_under_a_file_names_the_users_path(model, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    target = tmp_path / "notes.txt" / "model.npz"
    with pytest.raises(NotADirectoryError) as info:
        model.save(target)
    assert info.value.filename == str(target)
    assert ".fastmlp" not in str(info.value)


def test_save_onto_a_directory(model, tmp_path):
    (tmp_path / "models").mkdir()
    with pytest.raises(IsADirectoryError, match=r"is a directory; give the model file a file "
                                                r"name") as info:
        model.save(tmp_path / "models")
    assert info.value.filename == str(tmp_path / "models")
    assert os.listdir(tmp_path / "models") == []


def test_empty_path(model):
    with pytest.raises(FileNotFoundError, match=r"empty path: give the model file a name"):
        model.save("")


def test_fifo_is_never_replaced(model, tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match=r"pipe\.npz is a FIFO \(named pipe\), not a regular file; "
                                      r"fastmlp writes a model file only to a regular file"):
        model.save(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(os.listdir(tmp_path)) == ["pipe.npz"]


def test_device_is_never_replaced(model, tmp_path):
    """A /dev/null-like node of our own (as root, a rename turned /dev/full into a file)."""
    node = tmp_path / "null.npz"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError) as err:
        pytest.skip(f"cannot create a device node here: {err}")
    with pytest.raises(OSError, match=r"null\.npz is a character device, not a regular file"):
        model.save(node)
    assert stat.S_ISCHR(node.stat().st_mode)


def test_device_behind_a_symlink_is_never_replaced(model, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link.npz").symlink_to(fifo)
    with pytest.raises(OSError, match=r"link\.npz is a FIFO"):
        model.save(tmp_path / "link.npz")
    assert stat.S_ISFIFO(fifo.stat().st_mode) and (tmp_path / "link.npz").is_symlink()


@pytest.fixture
def unprivileged(tmp_path):
    """``(folder, run)``: ``run(fn)`` calls ``fn`` as a user that permissions apply to.

    As root (for whom read-only means nothing) ``fn`` runs in a forked child switched to
    the ``nobody`` user, in a folder that user owns; otherwise it simply runs here.
    Returns what ``fn`` raised, as ``(type name, message, filename)``, or None.
    """
    if os.geteuid() != 0:
        def run_here(fn):
            try:
                fn()
            except Exception as err:
                return type(err).__name__, str(err), getattr(err, "filename", None)
            return None
        return tmp_path, run_here
    nobody = 65534
    base = tempfile.mkdtemp(prefix="fastmlp-perm-")  # not under root's private tmp_path
    os.chmod(base, 0o755)
    folder = os.path.join(base, "work")
    os.mkdir(folder)
    os.chown(folder, nobody, nobody)

    def run_as_nobody(fn):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: drop root, run, report, exit without cleanup
            try:
                os.close(read_end)
                os.setgid(nobody)
                os.setuid(nobody)
                try:
                    fn()
                    result = None
                except Exception as err:
                    result = [type(err).__name__, str(err), getattr(err, "filename", None)]
                os.write(write_end, json.dumps(result).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            report = pipe.read()
        os.waitpid(pid, 0)
        result = json.loads(report)
        return None if result is None else tuple(result)

    yield Path(folder), run_as_nobody
    shutil.rmtree(base)


def test_read_only_file_is_refused_like_open_would(model, unprivileged):
    folder, run = unprivileged
    path = folder / "model.npz"
    assert run(lambda: model.save(path)) is None
    before = path.read_bytes()
    path.chmod(0o444)  # the folder stays writable: only the file's mode forbids the save
    kind, message, filename = run(lambda: other_model().save(path))
    assert kind == "PermissionError" and "read-only" in message
    assert filename == str(path)
    assert path.read_bytes() == before


def test_read_only_folder_names_the_users_path(model, unprivileged):
    folder, run = unprivileged
    locked = folder / "locked"
    assert run(lambda: locked.mkdir()) is None
    locked.chmod(0o555)
    kind, _, filename = run(lambda: model.save(locked / "model.npz"))
    assert kind == "PermissionError" and filename == str(locked / "model.npz")
    kind, _, filename = run(lambda: check_writable(locked / "plot.png"))
    assert kind == "PermissionError" and filename == str(locked / "plot.png")
    assert os.listdir(locked) == []


# --------------------------------------------------------------------------- symbolic links


@pytest.mark.parametrize("relative", [False, True])
def test_save_follows_a_symlink_and_updates_its_target(model, tmp_path, relative):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.npz"
    model.save(target)
    link = tmp_path / "current.npz"
    link.symlink_to(os.path.join("real", "model.npz") if relative else target)

    second = other_model()
    second.save(link)
    assert link.is_symlink() and os.readlink(link) == (
        os.path.join("real", "model.npz") if relative else str(target))
    assert same_weights(fastmlp.load(target), second)
    assert temporary_files(tmp_path) == [] and temporary_files(tmp_path / "real") == []


def test_dangling_symlink_creates_its_target(model, tmp_path):
    link = tmp_path / "link.npz"
    link.symlink_to(tmp_path / "made.npz")
    model.save(link)
    assert link.is_symlink() and (tmp_path / "made.npz").is_file()
    assert same_weights(fastmlp.load(link), model)


def test_symlink_loop(model, tmp_path):
    (tmp_path / "a.npz").symlink_to(tmp_path / "b.npz")
    (tmp_path / "b.npz").symlink_to(tmp_path / "a.npz")
    with pytest.raises(OSError, match=r"too many levels of symbolic links") as info:
        model.save(tmp_path / "a.npz")
    assert info.value.filename == str(tmp_path / "a.npz")
    assert (tmp_path / "a.npz").is_symlink() and (tmp_path / "b.npz").is_symlink()


# --------------------------------------------------------------------------- killed saves

KILLED_SAVE = textwrap.dedent("""
    import sys, time
    import numpy as np
    import fastmlp

    real = np.lib.format.write_array

    def slow(member, array, **kwargs):  # write the header, then hang in the first parameter
        real(member, array, **kwargs)
        if array.dtype != np.uint8:
            member.flush()
            print("writing", flush=True)
            time.sleep(60)

    np.lib.format.write_array = slow
    fastmlp.MLP([6, 12, 3], backend="numpy", seed=1).save(sys.argv[1])
""")


def test_temporary_file_of_a_killed_save_is_removed_by_the_next_save(model, tmp_path):
    path = tmp_path / "model.npz"
    child = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(path)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "writing\n"
        leftovers = temporary_files(tmp_path)
        assert len(leftovers) == 1 and leftovers[0].startswith(f".model.npz.{child.pid}-")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert temporary_files(tmp_path) == leftovers  # a killed process cleans nothing

    model.save(path)
    assert os.listdir(tmp_path) == ["model.npz"]
    assert same_weights(fastmlp.load(path), model)


def test_temporary_files_of_running_processes_and_other_names_are_kept(model, tmp_path):
    alive = tmp_path / f".model.npz.{os.getppid()}-0123456789ab.fastmlp-tmp"
    other_name = tmp_path / f".other.npz.{2**22 + 12345}-0123456789ab.fastmlp-tmp"
    for path in (alive, other_name):
        path.write_bytes(b"in progress")
    model.save(tmp_path / "model.npz")
    assert sorted(os.listdir(tmp_path)) == sorted(["model.npz", alive.name, other_name.name])


# --------------------------------------------------------------------------- check_writable


def test_check_writable_writes_nothing(tmp_path):
    check_writable(tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []
    (tmp_path / "model.npz").write_bytes(b"old")
    check_writable(tmp_path / "model.npz")
    assert os.listdir(tmp_path) == ["model.npz"]
    assert (tmp_path / "model.npz").read_bytes() == b"old"


@pytest.mark.parametrize("make, error", [
    (lambda p: None, FileNotFoundError),  # its folder is missing
    (lambda p: os.mkfifo(p.parent / "fifo"), OSError),
    (lambda p: (p.parent / "dir").mkdir(), IsADirectoryError),
])
def test_check_writable_raises_what_the_write_would(tmp_path, make, error):
    cases = {FileNotFoundError: tmp_path / "missing" / "plot.png",
             IsADirectoryError: tmp_path / "dir"}
    path = cases.get(error, tmp_path / "fifo")
    make(tmp_path / "x")
    with pytest.raises(error) as info:
        check_writable(path, "plot")
    with pytest.raises(error):
        with atomic_write(path, "plot") as f:
            f.write(b"never")
    assert str(path) in str(info.value)


def test_atomic_write_keeps_the_old_content_on_an_exception(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="half way"):
        with atomic_write(path) as f:
            f.write(b"new but incomplete")
            raise RuntimeError("half way")
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["data.bin"]
    with atomic_write(path) as f:
        f.write(b"new")
    assert path.read_bytes() == b"new"


def test_errors_of_other_kinds_raised_in_the_block_pass_unchanged(tmp_path):
    """A library's own OSError subclass (a DownloadError, say) keeps its type and message."""
    class FetchError(OSError):
        pass

    path = tmp_path / "data.bin"
    with pytest.raises(FetchError, match=r"^mirror unreachable$"):
        with atomic_write(path, "download") as f:
            f.write(b"partial")
            raise FetchError("mirror unreachable")
    other = tmp_path / "elsewhere.txt"
    with pytest.raises(FileNotFoundError) as info:
        with atomic_write(path) as f:
            open(other)  # an error about another file keeps naming that file
    assert info.value.filename == str(other)
    assert os.listdir(tmp_path) == []
