"""The fenced blocks of README.md, docs/*.md and examples/*.py, and how each one is tested.

Why a collector of our own rather than pytest-markdown-docs or pytest-examples: both run
Python blocks only (the docs are half shell commands: ``fastmlp train ...``), neither has
a way to run a block with reduced sizes declared next to it, to mark it slow, or to check
printed numbers to a tolerance rather than character for character, and pytest-examples
rewrites output in place rather than failing on drift. What is needed here fits in this
file, with no new test dependency.

The fence's info string carries the options, after the language (GitHub shows only the
language; the rest is for the test suite)::

    ```python continue slow reduce="epochs=20=>epochs=1"
    ```text output tol=0.01

Runnable blocks are ``python`` and ``bash``/``sh``; each document's blocks run in order in
one temporary directory of their own (files a block writes are there for the next), every
Python block in a fresh namespace unless it says ``continue``. Options:

``continue``
    Run in the namespace of the document's previous Python block (which runs first).
``name=NAME``, ``needs=NAME[,NAME]``
    Run the named blocks of the same document first (for the files they write).
``slow``
    Behind the ``slow`` marker (CI runs it; ``-m "not slow"`` leaves it out).
``reduce="OLD=>NEW;OLD=>NEW"``
    Text replacements made before running: smaller epochs or data for the test run. Only
    on ``slow`` blocks; each OLD must occur in the block, so a reduction cannot silently
    stop applying.
``env="NAME=VALUE ..."``
    Environment variables for the block.
``install="REASON"`` (shell)
    Commands that install (``apt-get``, ``apt``, ``pip``, ``sudo ...``) are not re-run, for
    the reason given; the rest of the block (the commands after ``&&``) runs.
``norun="REASON"``
    Nothing of the block runs, for the reason given; then ``run="COMMAND"`` runs a command
    standing for it (a shell line) and/or ``flags`` checks that every ``--option`` the
    block's commands use is in that command's ``--help``. One of the two is required.

Output blocks (``text``) say what they are:

``output``
    The printed output of the block just above, checked line by line: text exactly, numbers
    within ``tol=`` (absolute, default 0: seed-exact, only for BLAS-independent numbers) or
    ``rtol=`` (relative). A line ``...`` stands for any number of lines. Not allowed after a
    ``reduce``d block, whose output differs from the full run's.
``example``
    An example run, not checked: the block, or the prose just above it (or the section
    ``example="#anchor"`` names), must name the machine (CPU) and the BLAS kernel.
    ``from=PATH`` adds a check that every line of the block is a line of PATH (the output
    file of the script the numbers come from, benchmarks/doc_numbers.txt).
``listing``
    Not output: a synopsis, a file layout.

examples/*.py are one Python block each, run as a script; their options sit on a comment
line ``# doc-test: OPTIONS``.
"""

import dataclasses
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNNABLE = {"python", "bash", "sh"}
OUTPUT = {"text"}
FLAGS = {"continue", "slow", "flags", "output", "example", "listing"}
VALUED = {"name", "needs", "reduce", "env", "install", "norun", "run", "tol", "rtol", "example",
          "from"}
INSTALLERS = ("apt-get", "apt", "pip", "pip3", "sudo")
_FENCE = re.compile(r"^(\s*)(```+|~~~+)(.*)$")  # indented ones too (in lists)


def documents():
    """README.md, docs/*.md and examples/*.py, as paths relative to the repository root."""
    paths = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted((ROOT / "examples").glob("*.py"))]
    return [p.relative_to(ROOT).as_posix() for p in paths]


@dataclasses.dataclass
class Block:
    """One fenced block (or one example script) and its options."""

    doc: str
    line: int  # 1-based line of the opening fence
    lang: str
    options: dict
    text: str
    index: int = 0  # position among the document's blocks
    prose: str = ""  # the text between the previous block and this one

    @property
    def id(self):
        return f"{self.doc}:{self.line}"

    @property
    def runnable(self):
        return self.lang in RUNNABLE

    def reduced_text(self):
        """The text that runs: ``reduce`` replacements made."""
        text = self.text
        for old, new in reductions(self.options.get("reduce", "")):
            text = text.replace(old, new)
        return text


def parse_options(info):
    """``python continue tol=0.01`` -> ("python", {"continue": True, "tol": "0.01"})."""
    words = shlex.split(info)
    if not words:
        return "", {}
    options = {}
    for word in words[1:]:
        key, eq, value = word.partition("=")
        options[key] = value if eq else True
    return words[0], options


def reductions(spec):
    """``"a=>b;c=>d"`` -> [("a", "b"), ("c", "d")]."""
    pairs = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        old, arrow, new = part.partition("=>")
        if not arrow:
            raise ValueError(f"reduce: {part!r} has no '=>'")
        pairs.append((old, new))
    return pairs


def parse_markdown(doc, text):
    """Every fenced block of a Markdown text, in order."""
    blocks, lines = [], text.splitlines()
    i, prose_start = 0, 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, info = match.groups()
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        if end == len(lines):
            raise ValueError(f"{doc}:{i + 1}: unclosed fence")
        lang, options = parse_options(info)
        body = [line[len(indent):] if line.startswith(indent) else line.lstrip()
                for line in lines[i + 1:end]]
        blocks.append(Block(doc, i + 1, lang, options, "\n".join(body) + "\n",
                            len(blocks), "\n".join(lines[prose_start:i])))
        i = prose_start = end + 1
    return blocks


def parse_script(doc, text):
    """An example script as one Python block, options from its ``# doc-test:`` line."""
    info = next((line.split(":", 1)[1] for line in text.splitlines()
                 if line.startswith("# doc-test:")), "")
    _, options = parse_options("python " + info)
    return [Block(doc, 1, "python", options, text, 0, "")]


def blocks_of(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    return parse_script(doc, text) if doc.endswith(".py") else parse_markdown(doc, text)


def all_blocks():
    return [b for doc in documents() for b in blocks_of(doc)]


def output_after(block, blocks):
    """The ``output`` block that directly follows ``block``, if any."""
    if block.index + 1 < len(blocks):
        nxt = blocks[block.index + 1]
        if nxt.lang in OUTPUT and "output" in nxt.options:
            return nxt
    return None


def shell_script(block):
    """The shell text that runs: installs left out when ``install=`` says so, reductions made."""
    text = block.reduced_text()
    if "install" not in block.options:
        return text
    kept = []
    for line in text.splitlines():
        parts = [p for p in line.split("&&") if p.split()[:1] and
                 p.split()[0] not in INSTALLERS]
        if parts:
            kept.append(" && ".join(p.strip() for p in parts))
    return "\n".join(kept) + "\n"


def commands(script):
    """Each simple command of a shell text as a word list (comments, env assignments gone)."""
    found = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = []
        for token in [*lexer, ";"]:
            if token in ("&&", "||", ";", "|", "&"):
                while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
                    words = words[1:]
                if words:
                    found.append(words)
                words = []
            else:
                words.append(token)
    return found


# ----------------------------------------------------------------------- output checks

_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _split(line):
    """A line as (text between numbers, numbers)."""
    return _NUMBER.split(line), [float(n.replace(",", "")) for n in _NUMBER.findall(line)]


def line_matches(shown, printed, tol=0.0, rtol=0.0):
    """Same text, and each number within ``tol + rtol * |shown|`` of the shown one."""
    (shown_text, shown_nums), (printed_text, printed_nums) = _split(shown), _split(printed)
    if [t.rstrip() for t in shown_text] != [t.rstrip() for t in printed_text]:
        return False
    return all(abs(a - b) <= tol + rtol * abs(a) for a, b in zip(shown_nums, printed_nums))


def output_matches(shown, printed, tol=0.0, rtol=0.0):
    """``shown`` (with ``...`` lines for any lines) against what was ``printed``."""
    want = [line.rstrip() for line in shown.strip("\n").splitlines()]
    got = [line.rstrip() for line in printed.strip("\n").splitlines()]

    def match(i, j):
        if i == len(want):
            return j == len(got)
        if want[i] == "...":
            return any(match(i + 1, k) for k in range(j, len(got) + 1))
        return j < len(got) and line_matches(want[i], got[j], tol, rtol) and match(i + 1, j + 1)

    return match(0, 0)


# ----------------------------------------------------------------------- lint

_MACHINE = re.compile(r"(?i)\b(cpu|epyc|xeon|ryzen|core i\d|apple m\d)\b")
_BLAS = re.compile(r"(?i)(openblas|mkl|accelerate|blis)[\s\S]{0,120}?(haswell|skylakex|zen|"
                   r"sandybridge|cooperlake|sapphirerapids|coretype|kernel)")


def _section(doc_text, anchor):
    """The text of the section whose heading's GitHub anchor is ``anchor`` (``#the-machine``)."""
    lines, out, level = doc_text.splitlines(), None, 0
    for line in lines:
        heading = re.match(r"^(#+)\s+(.*)$", line)
        if heading:
            slug = "#" + re.sub(r"[^\w\- ]", "", heading.group(2).lower()).replace(" ", "-")
            if out is not None and len(heading.group(1)) <= level:
                break
            if slug == anchor:
                out, level = [], len(heading.group(1))
                continue
        if out is not None:
            out.append(line)
    return None if out is None else "\n".join(out)


def problems(block, blocks):
    """What is wrong with a block's fence, as a list of messages (empty: fine)."""
    opts, errors = block.options, []
    if block.lang not in RUNNABLE | OUTPUT:
        return [f"language {block.lang!r}: use python, bash, sh or text (with output, "
                f"example or listing)"]
    unknown = set(opts) - FLAGS - VALUED
    if unknown:
        errors.append(f"unknown options {sorted(unknown)}")
    if block.lang in OUTPUT:
        kinds = [k for k in ("output", "example", "listing") if k in opts]
        if len(kinds) != 1:
            errors.append("a text block says exactly one of output, example, listing")
        if "output" in opts:
            before = blocks[block.index - 1] if block.index else None
            if before is None or not before.runnable:
                errors.append("output follows no runnable block")
            elif "reduce" in before.options or "norun" in before.options:
                errors.append("output of a reduced or not-run block cannot be checked: "
                              "label it example")
        if "example" in opts:
            where = block.prose.split("\n\n")[-1] + "\n" + block.text
            if isinstance(opts["example"], str):
                section = _section((ROOT / block.doc).read_text(encoding="utf-8"),
                                   opts["example"])
                if section is None:
                    errors.append(f"no section {opts['example']}")
                where += "\n" + (section or "")
            if not _MACHINE.search(where):
                errors.append("an example run must name the machine (CPU)")
            if not _BLAS.search(where):
                errors.append("an example run must name the BLAS library and its kernel")
            if "from" in opts:
                source = (ROOT / opts["from"]).read_text(encoding="utf-8").splitlines()
                source = {line.rstrip() for line in source}
                missing = [line for line in block.text.splitlines()
                           if line.strip() not in ("", "...") and line.rstrip() not in source]
                if missing:
                    errors.append(f"lines not in {opts['from']}: {missing[:3]}")
        return errors
    if "reduce" in opts:
        if "slow" not in opts:
            errors.append("reduce is for slow blocks: add slow")
        try:
            for old, _ in reductions(opts["reduce"]):
                if old not in block.text:
                    errors.append(f"reduce: {old!r} is not in the block")
        except ValueError as exc:
            errors.append(str(exc))
    if "norun" in opts:
        if not isinstance(opts["norun"], str) or not opts["norun"].strip():
            errors.append("norun needs a reason: norun=\"...\"")
        if "run" not in opts and "flags" not in opts:
            errors.append("norun needs run=\"COMMAND\" or flags: something must be tested")
    if "install" in opts:
        if block.lang == "python" or not isinstance(opts["install"], str):
            errors.append("install=\"REASON\" is for shell blocks")
        elif not shell_script(block).strip():
            errors.append("install: nothing is left to run; say norun=\"REASON\" and run=")
    elif block.lang != "python" and any(
            words[0] in INSTALLERS or words[:3] == ["python", "-m", "pip"]
            for words in commands(block.text)) and "norun" not in opts:
        errors.append("installs packages: say install=\"REASON\" or norun=\"REASON\"")
    if "continue" in opts and block.lang != "python":
        errors.append("continue is for Python blocks")
    names = {b.options.get("name") for b in blocks}
    for need in filter(None, str(opts.get("needs", "")).split(",")):
        if need not in names:
            errors.append(f"needs {need!r}: no block of that name")
    return errors
