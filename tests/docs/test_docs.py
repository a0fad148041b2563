"""Every Python and shell block of README.md, docs/*.md and examples/*.py runs, and prints what
the docs show. How blocks are found and what their fence options mean: ``doc_blocks``."""

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys

import doc_blocks as db
import pytest

BLOCKS = db.all_blocks()
BY_DOC = {}
for _block in BLOCKS:
    BY_DOC.setdefault(_block.doc, []).append(_block)


def _param(block):
    marks = [pytest.mark.slow] if block.options.get("slow") else []
    return pytest.param(block, id=block.id, marks=marks)


# --------------------------------------------------------------------------- the fences


@pytest.mark.parametrize("block", [pytest.param(b, id=b.id) for b in BLOCKS])
def test_fence_says_how_the_block_is_tested(block):
    assert db.problems(block, BY_DOC[block.doc]) == []


def test_every_document_has_its_blocks_collected():
    docs = {b.doc for b in BLOCKS}
    assert {"README.md", "docs/quickstart.md", "examples/xor.py"} <= docs
    assert sum(b.runnable for b in BLOCKS) >= 25


# --------------------------------------------------------------------------- running them

_STATE = {}  # doc -> {"tmp": Path, "ran": {index: error or None}, "ns": {}, "out": {}}
_HELP = {}


class PrerequisiteFailed(Exception):
    """A block this one needs failed; its own test says why."""


def _environment(block, tmp):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(db.ROOT), env.get("PYTHONPATH")]))
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    env["MPLBACKEND"] = "Agg"
    env["HOME"] = env.get("HOME") or str(tmp)
    for pair in str(block.options.get("env", "")).split():
        key, _, value = pair.partition("=")
        env[key] = value
    return env


@contextlib.contextmanager
def _inside(block, tmp):
    """cwd, environment and argv as the block runs, restored afterwards."""
    saved_env, saved_cwd, saved_argv = dict(os.environ), os.getcwd(), sys.argv
    os.environ["MPLBACKEND"] = "Agg"
    for pair in str(block.options.get("env", "")).split():
        key, _, value = pair.partition("=")
        os.environ[key] = value
    os.chdir(tmp)
    sys.argv = [block.doc]
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv


def _shell(script, block, tmp, cwd=None):
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd or tmp,
                            env=_environment(block, tmp), capture_output=True, text=True,
                            timeout=900)
    if result.returncode != 0:
        raise AssertionError(f"{block.id}: exit status {result.returncode} from\n{script}\n"
                             f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")
    return result.stdout


def _help_command(words):
    """The command whose --help lists the options ``words`` may use (None: not checked)."""
    if words[0] == "fastmlp":
        sub = [w for w in words[1:2] if not w.startswith("-")]
        return ("fastmlp", *sub, "--help")
    if words[0] == "python" and len(words) > 1 and words[1].endswith(".py"):
        return ("python", words[1], "--help")
    if words[0] == "python" and words[1:2] == ["-m"]:
        return ("python", "-m", words[2], "--help")
    if words[0] == "pytest":
        target = [w for w in words[1:2] if not w.startswith("-")]
        return ("python", "-m", "pytest", *target, "--help")
    if words[0] == "pytest-benchmark":
        return ("pytest-benchmark", words[1], "--help")
    return None


def _check_flags(block, tmp):
    """Every --option of the block's commands is one its command's --help lists."""
    for words in db.commands(block.text):
        command = _help_command(words)
        if command is None:
            continue
        if command not in _HELP:
            _HELP[command] = _shell(shlex.join(command), block, tmp, cwd=db.ROOT)
        for word in words:
            if word.startswith("--"):
                flag = word.split("=")[0]
                assert re.search(re.escape(flag) + r"(?![\w-])", _HELP[command]), (
                    f"{block.id}: {' '.join(words)}: {flag} is not in `{shlex.join(command)}`")


def _execute(block, blocks, state):
    tmp, opts = state["tmp"], block.options
    if block.lang != "python":
        if "norun" in opts:
            printed = ""
            if "flags" in opts:
                _check_flags(block, tmp)
            if "run" in opts:
                printed = _shell(opts["run"], block, tmp)
            return printed
        return _shell(db.shell_script(block), block, tmp)
    if "continue" in opts:
        previous = [b for b in blocks[:block.index] if b.lang == "python"][-1]
        namespace = state["ns"][previous.index]
    else:
        namespace = {"__name__": "__main__", "__file__": str(db.ROOT / block.doc)}
    state["ns"][block.index] = namespace
    # Line numbers in a traceback are the document's.
    code = compile("\n" * block.line + block.reduced_text(), block.doc, "exec")
    printed = io.StringIO()
    with _inside(block, tmp), contextlib.redirect_stdout(printed):
        exec(code, namespace)
    return printed.getvalue()


def _prerequisites(block, blocks):
    found = []
    if "continue" in block.options:
        found.append([b for b in blocks[:block.index] if b.lang == "python"][-1])
    for need in filter(None, str(block.options.get("needs", "")).split(",")):
        found += [b for b in blocks if b.options.get("name") == need]
    return found


def _run(block, state, blocks):
    """Run ``block`` (its prerequisites first, each block once); what it printed."""
    if block.index not in state["ran"]:
        for before in _prerequisites(block, blocks):
            try:
                _run(before, state, blocks)
            except Exception as exc:
                raise PrerequisiteFailed(f"{block.id} needs {before.id}, which failed") from exc
        try:
            state["out"][block.index] = _execute(block, blocks, state)
            state["ran"][block.index] = None
        except BaseException as exc:
            state["ran"][block.index] = exc
            raise
    if state["ran"][block.index] is not None:
        raise PrerequisiteFailed(f"{block.id} failed earlier") from state["ran"][block.index]
    return state["out"][block.index]


@pytest.mark.parametrize("block", [_param(b) for b in BLOCKS if b.runnable])
def test_block_runs_and_prints_what_the_docs_show(block, tmp_path_factory):
    state = _STATE.setdefault(block.doc, {
        "tmp": tmp_path_factory.mktemp(re.sub(r"\W", "-", block.doc)), "ran": {}, "ns": {},
        "out": {}})
    _check(block, state, BY_DOC[block.doc])


def _check(block, state, blocks):
    printed = _run(block, state, blocks)
    shown = db.output_after(block, blocks)
    if shown is not None:
        tol = float(shown.options.get("tol", 0))
        rtol = float(shown.options.get("rtol", 0))
        assert db.output_matches(shown.text, printed, tol, rtol), (
            f"{block.id} printed\n{printed}\nwhich differs from {shown.id} "
            f"(tol={tol}, rtol={rtol}):\n{shown.text}")


# --------------------------------------------------------------------------- the checker


def test_output_matching_allows_the_stated_tolerance_and_no_more():
    assert db.output_matches("accuracy 0.900\n", "accuracy 0.904\n", tol=0.005)
    assert not db.output_matches("accuracy 0.900\n", "accuracy 0.906\n", tol=0.005)
    assert not db.output_matches("accuracy 0.900\n", "accuracy 0.9001\n")  # exact by default
    assert db.output_matches("n 54,000 rows\n", "n 54,000 rows\n")
    assert not db.output_matches("loss 1.0\n", "LOSS 1.0\n", tol=1)
    assert db.output_matches("loss 100\n", "loss 101\n", rtol=0.02)
    assert not db.output_matches("loss 100\n", "loss 103\n", rtol=0.02)


def test_output_matching_reads_ellipsis_as_any_lines():
    printed = "epoch 1\nepoch 2\nepoch 3\ndone 0.5\n"
    assert db.output_matches("epoch 1\n...\ndone 0.5\n", printed)
    assert db.output_matches("...\ndone 0.5\n", printed)
    assert not db.output_matches("epoch 1\ndone 0.5\n", printed)  # lines may not go missing
    assert not db.output_matches("epoch 1\n...\ndone 0.6\n", printed)


def test_fence_problems_are_found():
    def check(*fences):
        text = "".join(f"```{info}\n{body}\n```\nprose\n" for info, body in fences)
        blocks = db.parse_markdown("x.md", text)
        return [db.problems(b, blocks) for b in blocks]

    assert check(("", "x"))[0]  # no language
    assert check(("python reduce=\"epochs=20=>epochs=1\"", "fit(epochs=20)"))[0]  # not slow
    assert check(("python slow reduce=\"epochs=9=>epochs=1\"", "fit(epochs=20)"))[0]
    assert check(("python slow reduce=\"epochs=20=>epochs=1\"", "fit(epochs=20)")) == [[]]
    assert check(("bash", "pip install fastmlp"))[0]  # installs, unannounced
    assert check(("bash norun=\"slow\"", "fastmlp bench"))[0]  # tests nothing
    assert check(("bash install=\"no root\"", "apt-get install x && fastmlp train")) == [[]]
    assert check(("bash install=\"no root\"", "apt-get install x"))[0]  # nothing left to test
    assert check(("python", "print(1)"), ("text example from=benchmarks/doc_numbers.txt",
                                          "# cpu: AMD EPYC; blas: openblas Haswell\n1.2345"))[1]
    assert check(("python", "print(1)"), ("text", "1"))[1]  # output, example or listing?
    assert check(("python", "print(1)"), ("text output", "1")) == [[], []]
    assert check(("python slow reduce=\"1=>2\"", "print(1)"), ("text output", "1"))[1]
    assert check(("python", "print(1)"), ("text example", "1"))[1]  # unlabelled


def test_fences_indented_in_a_list_are_collected_too():
    blocks = db.parse_markdown("x.md", "- step:\n\n  ```bash\n  fastmlp --help\n  ```\n")
    assert [(b.lang, b.text) for b in blocks] == [("bash", "fastmlp --help\n")]


def test_shell_commands_are_split_as_the_shell_splits_them():
    assert db.commands("A=1 fastmlp train --epochs 2 && python -c 'a; b' | head  # c\n") == [
        ["fastmlp", "train", "--epochs", "2"], ["python", "-c", "a; b"], ["head"]]


def test_installs_are_left_out_and_the_rest_runs():
    block = db.parse_markdown("x.md", "```bash install=\"root\"\napt-get update && "
                              "apt-get install -y x && pip install -e . && fastmlp train\n"
                              "pip install y   # a comment\n```\n")[0]
    assert db.shell_script(block) == "fastmlp train\n"


def test_blocks_continue_namespaces_run_needs_first_and_fail_on_drift(tmp_path):
    text = ('```bash name=make\necho 7 > seven.txt\n```\n'
            '```python\nx = 2\n```\n'
            '```python continue needs=make\nprint(x * int(open("seven.txt").read()))\n```\n'
            '```text output\n14\n```\n'
            '```python\nprint(x)\n```\n')
    blocks = db.parse_markdown("x.md", text)
    state = {"tmp": tmp_path, "ran": {}, "ns": {}, "out": {}}
    _check(blocks[2], state, blocks)  # runs blocks 0 and 1 first
    assert sorted(state["ran"]) == [0, 1, 2]
    with pytest.raises(NameError):  # a block without continue starts afresh
        _check(blocks[4], state, blocks)
    blocks[3].text = "15\n"
    state = {"tmp": tmp_path, "ran": {}, "ns": {}, "out": {}}
    with pytest.raises(AssertionError, match="differs"):
        _check(blocks[2], state, blocks)


# --------------------------------------------------------------------------- quoted numbers


def test_numbers_quoted_in_the_docs_are_those_of_doc_numbers():
    """benchmarks/doc_numbers.py ends its output with ``# quote FILE: TEXT`` lines: the figures
    the docs quote in prose and tables. Each must be in FILE as printed."""
    numbers = (db.ROOT / "benchmarks" / "doc_numbers.txt").read_text(encoding="utf-8")
    quotes = [line[len("# quote "):] for line in numbers.splitlines()
              if line.startswith("# quote ")]
    assert quotes
    for quote in quotes:
        doc, _, text = quote.partition(": ")
        prose = " ".join((db.ROOT / doc).read_text(encoding="utf-8").split())
        assert " ".join(text.split()) in prose, f"{doc} does not quote {text!r}"



def test_flags_check_finds_an_option_the_command_does_not_have(tmp_path):
    good, bad = db.parse_markdown("x.md", (
        '```sh norun="slow" flags\nfastmlp train --epochs 2 --seed=1\n```\n'
        '```sh norun="slow" flags\nfastmlp train --epochz 2\n```\n'))
    _check_flags(good, tmp_path)
    with pytest.raises(AssertionError, match="--epochz is not in"):
        _check_flags(bad, tmp_path)
