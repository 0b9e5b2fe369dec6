"""The README's examples run, and print what the README says they print.

- ``console`` blocks: each ``$ capsim ...`` line is run through ``main()`` in the
  repository root and its output (stdout and stderr) must equal the lines shown below it;
  only elapsed seconds are masked.
- A ``python`` block followed by a ``text`` block is run as a script (as a user would) and
  must print exactly the text block.
- ``toml`` blocks are scenarios and must validate.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from capsim.cli import main
from capsim.scenario import validate
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)
ELAPSED = re.compile(r"(engine \w+), [\d.]+ s$", re.MULTILINE)
TRAILING_ELAPSED = re.compile(r"\([\d.]+ s\)$", re.MULTILINE)
POINTS_ELAPSED = re.compile(r"(points in) [\d.]+ s")


def blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(README)]


def console_examples() -> list[tuple[str, str]]:
    examples = []
    for language, body in blocks():
        if language != "console":
            continue
        for chunk in re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]:
            command, _, output = chunk.partition("\n")
            examples.append((command, output))
    return examples


def python_examples() -> list[tuple[str, str]]:
    found = blocks()
    return [(body, found[i + 1][1]) for i, (language, body) in enumerate(found[:-1])
            if language == "python" and found[i + 1][0] == "text"]


def normalise(text: str) -> str:
    text = TRAILING_ELAPSED.sub("(<elapsed> s)", text)
    text = POINTS_ELAPSED.sub(r"\1 <elapsed> s", text)
    return ELAPSED.sub(r"\1, <elapsed> s", text).rstrip()


def test_the_readme_has_examples():
    assert len(console_examples()) >= 2
    assert len(python_examples()) >= 1


@pytest.mark.parametrize(("command", "expected"), console_examples(),
                         ids=[c for c, _ in console_examples()])
def test_console_example(command, expected, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = shlex.split(command)
    assert argv[0] == "capsim"
    main(argv[1:])
    captured = capsys.readouterr()
    assert normalise(captured.out + captured.err) == normalise(expected)


@pytest.mark.parametrize(("code", "expected"), python_examples())
def test_python_example(code, expected, tmp_path):
    script = tmp_path / "example.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                          text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip() == expected.rstrip()


def test_toml_examples_validate():
    import tomllib

    scenarios = [body for language, body in blocks() if language == "toml"]
    assert scenarios
    for body in scenarios:
        validate(tomllib.loads(body), source="README.md")
