"""Loading KernelBench-format problems and selecting them by level and id."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from polca.kernels_bench.problems import (
    builtin_problems_dir,
    import_source,
    load_problems,
    parse_id_spec,
    read_problem,
)

_PROBLEM = """
import torch
import torch.nn as nn

class Model(nn.Module):
    def forward(self, x):
        return x * 2

def get_inputs():
    return [torch.randn(2, 3)]

def get_init_inputs():
    return []
"""


def _checkout(tmp_path: Path) -> Path:
    for level, ids in ((1, (1, 2, 3, 17)), (2, (1,))):
        directory = tmp_path / "KernelBench" / f"level{level}"
        directory.mkdir(parents=True)
        for i in ids:
            (directory / f"{i}_double_{i}.py").write_text(_PROBLEM)
        (directory / "README.md").write_text("not a problem")
    return tmp_path


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("1-3,17", (1, 2, 3, 17)), ("5", (5,)), (" 2 - 4 , 3 ", (2, 3, 4)), ("17,1-2", (1, 2, 17))],
)
def test_id_spec_parses_numbers_and_inclusive_ranges(spec, expected):
    assert parse_id_spec(spec) == expected


@pytest.mark.parametrize("spec", ["", "1,,2", "a", "3-1", "0", "1-", "-3", "1.5", "1;2"])
def test_bad_id_spec_raises_with_the_rule(spec):
    with pytest.raises(ValueError, match="1-10,17"):
        parse_id_spec(spec)


def test_builtin_problems_cover_the_required_kinds():
    problems = load_problems(builtin_problems_dir())
    names = {p.name for p in problems}
    assert len(problems) >= 8
    assert {"relu", "row_sum", "matmul", "conv2d", "linear_gelu_scale", "cross_entropy"} <= names
    assert [p.problem_id for p in problems] == sorted(p.problem_id for p in problems)


@pytest.mark.parametrize("problem", load_problems(builtin_problems_dir()), ids=lambda p: p.key)
def test_every_builtin_problem_runs_its_reference(problem):
    module = import_source(problem.source, "problem_under_test", str(problem.path))
    torch.manual_seed(0)
    model = module.Model(*module.get_init_inputs())
    output = model(*module.get_inputs())
    assert isinstance(output, torch.Tensor) and torch.isfinite(output).all()


def test_cross_entropy_problem_has_an_int64_target():
    problem = load_problems(builtin_problems_dir(), ids="8")[0]
    module = import_source(problem.source, "ce_problem")
    assert module.get_inputs()[1].dtype == torch.int64


def test_checkout_layout_needs_a_level_and_selects_ids(tmp_path):
    root = _checkout(tmp_path)
    selected = load_problems(root, level=1, ids="1-2,17")
    assert [p.problem_id for p in selected] == [1, 2, 17]
    assert selected[0].level == 1 and selected[0].key == "level1/1_double_1"
    with pytest.raises(ValueError, match="level is required"):
        load_problems(root)
    with pytest.raises(ValueError, match="no level 3"):
        load_problems(root, level=3)


def test_level_4_style_names_with_hyphens_and_dots_load(tmp_path):
    level4 = tmp_path / "KernelBench" / "level4"
    level4.mkdir(parents=True)
    names = ["1_EleutherAI-gpt-neo-2p7B_bs32_seq256.py", "2_facebook-opt-1.3b_bs1_seq2047.py", "3_gpt2_bs8_seq512.py"]
    for name in names:
        (level4 / name).write_text(_PROBLEM)
    problems = load_problems(tmp_path, level=4)
    assert [p.problem_id for p in problems] == [1, 2, 3]
    assert problems[0].key == "level4/1_EleutherAI-gpt-neo-2p7B_bs32_seq256"
    assert problems[1].name == "facebook-opt-1.3b_bs1_seq2047"


def test_a_python_file_that_is_not_named_as_a_problem_is_skipped_with_a_warning(tmp_path, caplog):
    (tmp_path / "1_double.py").write_text(_PROBLEM)
    (tmp_path / "double two.py").write_text(_PROBLEM)
    with caplog.at_level("WARNING"):
        assert len(load_problems(tmp_path)) == 1
    assert "double two.py" in caplog.text


def test_missing_ids_are_named_with_what_exists(tmp_path):
    root = _checkout(tmp_path)
    with pytest.raises(ValueError, match=r"\[4, 5\].*1-3,17"):
        load_problems(root, level=1, ids="1-5")


def test_plain_directory_rejects_a_level(tmp_path):
    (tmp_path / "1_double.py").write_text(_PROBLEM)
    assert load_problems(tmp_path, ids=(1,))[0].level is None
    with pytest.raises(ValueError, match="plain directory"):
        load_problems(tmp_path, level=1)


def test_a_file_without_the_kernelbench_functions_is_rejected(tmp_path):
    (tmp_path / "3_broken.py").write_text("class Model: pass\n")
    with pytest.raises(ValueError, match="get_inputs, get_init_inputs"):
        read_problem(tmp_path / "3_broken.py")


def test_missing_directory_and_duplicate_ids_are_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_problems(tmp_path / "nowhere")
    (tmp_path / "1_a.py").write_text(_PROBLEM)
    (tmp_path / "01_b.py").write_text(_PROBLEM)
    with pytest.raises(ValueError, match="two problems with id 1"):
        load_problems(tmp_path)


def test_allowed_torch_calls_are_read_without_running_the_file(tmp_path):
    source = _PROBLEM + '\nALLOWED_TORCH_CALLS = ("torch.nn.functional.conv2d",)\nraise SystemExit\n'
    (tmp_path / "4_conv.py").write_text(source)
    assert read_problem(tmp_path / "4_conv.py").allowed_torch_calls == frozenset({"torch.nn.functional.conv2d"})


# The shape of two KernelBench level-3 files in a fork: a docstring indented by four spaces
# put into a function whose body is indented by two, which Python rejects.
_MIXED_INDENT = _PROBLEM.replace(
    "def get_inputs():\n    return [torch.randn(2, 3)]",
    'def get_inputs():\n    """Inputs."""\n  return [torch.randn(2, 3)]',
)


def test_a_broken_file_stops_only_a_selection_that_includes_it(tmp_path):
    level3 = tmp_path / "KernelBench" / "level3"
    level3.mkdir(parents=True)
    (level3 / "1_double.py").write_text(_PROBLEM)
    (level3 / "46_net_vlad.py").write_text(_MIXED_INDENT)
    assert [p.problem_id for p in load_problems(tmp_path, level=3, ids="1")] == [1]
    with pytest.raises(ValueError, match="46_net_vlad.py is not valid Python"):
        load_problems(tmp_path, level=3)
