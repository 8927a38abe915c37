"""``polca optimize-agent``: an agent and an environment named as module:attr, and --resume."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from polca.cli.prompts import register
from polca.store import Store
from tests.test_agent_shopdesk import fixing_proposer, shop_task_model

AGENT = '''
from polca.optimizer.domains.agent import ReActAgent

agent = ReActAgent("conversation -> reply", max_iters=5)
'''
ENV = "polca.optimizer.domains.shopdesk:ShopDesk"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    return app


@pytest.fixture
def args(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripted_llm) -> list[str]:
    module = f"desk_agent_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(AGENT)
    monkeypatch.chdir(tmp_path)
    task, proposer = scripted_llm(shop_task_model), scripted_llm(fixing_proposer)
    return ["optimize-agent", f"{module}:agent", "--env", ENV, "--train-tasks", "cancel-mug,move-notebook",
            "--val-tasks", "move-teapot,cancel-chess", "--model", "openai/scripted", "--api-base",
            proposer.api_base, "--task-model", "openai/scripted", "--task-api-base", task.api_base,
            "--db", f"sqlite:///{tmp_path / 'polca.db'}", "--json"]


def test_optimize_agent_resumes_a_stored_run_and_raises_the_reward(args, tmp_path) -> None:
    first = CliRunner().invoke(_app(), [*args, "--max-evaluations", "8"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert report["before"] == 0.25  # the move breaks two rules (0.5), the cancel fails (0)
    resumed = CliRunner().invoke(_app(), [*args, "--max-evaluations", "40", "--resume", report["run_id"]])
    assert resumed.exit_code == 0, resumed.output
    again = json.loads(resumed.output)
    assert again["run_id"] == report["run_id"] and again["evaluations"] > report["evaluations"]
    assert again["after"] == 1.0 and "tool.cancel_order.desc" in again["changed"]
    store = Store.open(f"sqlite:///{tmp_path / 'polca.db'}")
    assert store.get_run(report["run_id"]).status == "finished"
    store.close()


def test_an_environment_without_tasks_api_is_a_one_line_error(args) -> None:
    bad = [a if a != ENV else "json:dumps" for a in args]
    result = CliRunner().invoke(_app(), bad)
    assert result.exit_code == 1 and "error" in result.output
