"""The README's Python quick-start and the docstring examples run as doctests."""

from __future__ import annotations

import doctest
import importlib
import re

import pytest

from conftest import REPO


def test_readme_python_quick_start():
    text = (REPO / "README.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if ">>>" in b]
    assert blocks, "README.md has no Python quick-start"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for i, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, {}, f"README.md python block {i}", "README.md", 0))
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} README example(s) failed (see output above)"


@pytest.mark.parametrize(
    "module",
    [
        "hifloat", "hifloat._api", "hifloat._formats", "hifloat._finfo", "hifloat._matmul", "hifloat._safetensors",
        "hifloat.torch",
    ],
)
def test_docstring_examples(module):
    if module == "hifloat.torch":
        pytest.importorskip("torch", reason="PyTorch is not installed")
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
