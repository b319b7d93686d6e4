from __future__ import annotations

from agentrm_ray.types import (
    Budget,
    Candidate,
    ForkHandle,
    Node,
    Outcome,
    SearchResult,
    Step,
    Task,
    Trajectory,
)


def _trajectory() -> Trajectory:
    task = Task(env_id="agentrm/Maze-v0", task_id="double-t-03", split="test", seed=7)
    steps = [
        Step(
            thought="go down",
            action="move down",
            observation="You moved down.",
            reward=0.0,
            info={"progress": 0.25, "admissible_actions": ["move up"], "nested": {"x": [1, 2.5]}},
        ),
        Step(
            thought="",
            action="move left",
            observation="Success!",
            reward=1.0,
            info={"success": True},
            raw="Action: move left",
        ),
    ]
    return Trajectory(
        task=task,
        goal="reach (8, 6)",
        initial_observation="start",
        steps=steps,
        outcome=Outcome(success=True, progress=1.0, reward=1.0, terminated=True),
    )


def test_search_result_round_trips_through_json_without_loss() -> None:
    traj = _trajectory()
    result = SearchResult(
        task=traj.task,
        strategy="beam",
        best=traj,
        candidates=[Candidate(trajectory=traj, score=0.875, step_scores=[0.5, 0.875])],
        budget=Budget(
            policy_tokens_in=120,
            policy_tokens_out=33,
            policy_calls=2,
            env_steps=5,
            rm_calls=4,
            wall_time_s=1.25,
        ),
        config_hash="abc123",
        versions={"ray": "2.60.0"},
        nodes=[
            Node(id=0, depth=0, fork=ForkHandle(actions=[]), visits=3, value_sum=1.5, children=[1]),
            Node(
                id=1,
                parent=0,
                depth=1,
                step=traj.steps[0],
                fork=ForkHandle(actions=["move down"], session_id="w0:s3"),
                value=0.4,
                visits=1,
                value_sum=0.4,
                terminal=False,
            ),
        ],
    )
    again = SearchResult.model_validate_json(result.model_dump_json())
    assert again == result
    assert again.nodes is not None
    assert again.nodes[0].value_sum / again.nodes[0].visits == 0.5


def test_trajectory_helpers() -> None:
    traj = _trajectory()
    assert traj.actions == ["move down", "move left"]
    assert traj.finished
    assert not Trajectory(task=traj.task).finished
    assert traj.task.key == "agentrm/Maze-v0|test|double-t-03|7"


def test_budget_adds_fieldwise() -> None:
    total = Budget(env_steps=2, rm_calls=1, wall_time_s=0.5) + Budget(env_steps=3, wall_time_s=1.0)
    assert total == Budget(env_steps=5, rm_calls=1, wall_time_s=1.5)


def test_failed_result_carries_its_reason() -> None:
    task = Task(env_id="agentrm/Maze-v0", task_id="x")
    result = SearchResult(task=task, strategy="greedy", error="env crashed: boom")
    assert result.failed
    assert SearchResult.model_validate_json(result.model_dump_json()).error == "env crashed: boom"
