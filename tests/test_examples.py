"""The demo and the examples run and reach what their docstrings promise."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

import chainrule as cr

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_demo_reaches_documented_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    from chainrule import demo

    accuracy = demo.main(["--no-progress"])
    out = capsys.readouterr().out
    assert accuracy >= 0.96
    assert "test accuracy" in out and "trained 25 epochs" in out


@pytest.mark.parametrize(
    "name",
    ["regression.py", "classification_fit.py", "custom_module.py", "resume_checkpoint.py",
     "raw_autograd.py", "cnn_digits.py"],
)
def test_example_runs(name: str, capsys: pytest.CaptureFixture[str],
                      monkeypatch: pytest.MonkeyPatch) -> None:
    if not EXAMPLES.is_dir():
        pytest.skip("examples/ is not part of an installed package")
    monkeypatch.setattr(sys, "argv", [name])
    threads = cr.get_num_threads()
    try:
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    finally:
        cr.set_num_threads(threads)
    out = capsys.readouterr().out
    assert out.strip()
    if name == "resume_checkpoint.py":
        diff = float(out.strip().splitlines()[-1].rsplit(" ", 1)[1])
        assert diff == 0.0  # resuming reproduces the uninterrupted run exactly
    if name == "classification_fit.py":
        assert float(out.strip().splitlines()[-1].rsplit(" ", 1)[1]) >= 0.95
    if name == "cnn_digits.py":
        last = out.strip().splitlines()[-1]
        assert last.startswith("test accuracy: ")
        assert float(last.rsplit(" ", 1)[1]) >= 0.97
