"""Prompt packs in ETO's layout: loading, errors naming the field, and every prompting path
(search, SFT demos, RM labels, Serve's /v1/score) taking its prompts from the one book.

The pack is written here, in the layout, with text of our own (no third-party prompt text)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentrm_ray.config import ConfigError, config_hash, load_config
from agentrm_ray.prompt_book import PromptBook
from agentrm_ray.prompting import ETO_ACKNOWLEDGEMENT
from agentrm_ray.types import Step, Task, Trajectory

MAZE = Task(env_id="agentrm/Maze-v0", task_id="t")
EXAMPLES = [
    [{"role": "user", "content": "Your task is to: reach the door\nObservation: a corridor"},
     {"role": "assistant", "content": "Thought: the door is east\nAction: move east"},
     {"role": "user", "content": "Observation: you reached the door"},
     {"role": "assistant", "content": "Action: stop"}],
    [{"role": "user", "content": "Your task is to: second example"},
     {"role": "assistant", "content": "Action: wait"}],
]


def write_pack(root: Path, task: str = "mazes", rm: bool = True,
               examples: Any = EXAMPLES) -> Path:
    (root / "instructions").mkdir(parents=True, exist_ok=True)
    (root / "icl_examples").mkdir(exist_ok=True)
    instruction = root / "instructions" / f"{task}_inst.txt"
    instruction.write_text("Walk the maze. Reply with an Action.\n")
    (root / "icl_examples" / f"{task}_icl.json").write_text(json.dumps(examples))
    if rm:
        (root / "prm_instruction").mkdir(exist_ok=True)
        (root / "prm_instruction" / f"{task}.txt").write_text("Judge maze progress.")
    return root


def pack_config(root: Path, **extra: str) -> Any:
    sets = [f"{k}={v}" for k, v in extra.items()]
    return load_config(overrides=[f"prompts.dir={root}", "prompts.tasks={maze: mazes}", *sets])


def test_a_mapped_family_is_prompted_in_etos_layout_and_others_keep_their_own(
        tmp_path: Path) -> None:
    book = PromptBook.from_config(pack_config(write_pack(tmp_path)).prompts)
    maze = book.for_env(MAZE.env_id)
    assert maze.instruction == "Walk the maze. Reply with an Action."
    assert book.rm_instruction(MAZE) == "Judge maze progress."
    trajectory = Trajectory(task=MAZE, goal="reach the exit", initial_observation="a room",
                            steps=[Step(action="move north", observation="a hall")])
    messages = maze.policy_messages(trajectory)
    assert messages[:2] == [{"role": "user", "content": maze.instruction},
                            {"role": "assistant", "content": ETO_ACKNOWLEDGEMENT}]
    assert messages[2:6] == EXAMPLES[0]  # prompts.icl_examples=1: the first example only
    assert messages[6:] == [
        {"role": "user", "content": "Your task is to: reach the exit\nObservation: a room"},
        {"role": "assistant", "content": "Action: move north"},
        {"role": "user", "content": "Observation: a hall"}]
    webshop = book.for_family("webshop")
    assert webshop.examples is None and "Your task is to" in webshop.policy_messages(
        trajectory)[0]["content"]


def test_two_examples_and_the_rm_instruction_defaulting_to_the_instruction(
        tmp_path: Path) -> None:
    cfg = pack_config(write_pack(tmp_path, rm=False), **{"prompts.icl_examples": "2"})
    maze = PromptBook.from_config(cfg.prompts).for_family("maze")
    assert maze.examples == tuple(tuple(e) for e in EXAMPLES)
    assert maze.rm_instruction == maze.instruction


def test_icl_examples_zero_drops_a_familys_own_example_for_search_and_sft() -> None:
    """`prompts.icl_examples: 0` without a pack: the family's instruction and the task, no
    one-shot example, in the chat the search asks and the SFT demos train on alike."""
    from agentrm_ray.data.demos import demo_messages

    trajectory = Trajectory(task=Task(env_id="agentrm/WebShopSim-v0", task_id="x"),
                            goal="buy a lamp", initial_observation="a search page",
                            steps=[Step(action="search[lamp]", observation="results")])
    shown = PromptBook.from_config(load_config().prompts).for_family("webshop")
    bare = PromptBook.from_config(
        load_config(overrides=["prompts.icl_examples=0"]).prompts).for_family("webshop")
    assert shown.example and not bare.example
    first_shown = shown.policy_messages(trajectory)[0]["content"]
    first_bare = bare.policy_messages(trajectory)[0]["content"]
    assert shown.example in first_shown and shown.example not in first_bare
    assert first_bare == (f"{bare.instruction}\n\nYour task is to: buy a lamp\n"
                          "Observation: a search page")
    assert demo_messages(bare, trajectory)[0]["content"] == first_bare
    assert bare.rm_instruction == shown.rm_instruction


@pytest.mark.parametrize("break_it, field, match", [
    (lambda root: (root / "instructions" / "mazes_inst.txt").unlink(), "prompts.tasks.maze",
     "instructions/mazes_inst.txt is missing"),
    (lambda root: (root / "icl_examples" / "mazes_icl.json").write_text("{not json"),
     "prompts.tasks.maze", "is not JSON"),
    (lambda root: (root / "icl_examples" / "mazes_icl.json").write_text(
        json.dumps({"pick": []})), "prompts.tasks.maze", "list of example conversations"),
    (lambda root: (root / "icl_examples" / "mazes_icl.json").write_text(json.dumps(
        [[{"role": "assistant", "content": "x"}]])), "prompts.tasks.maze", "alternate"),
    (lambda root: shutil.rmtree(root), "prompts.dir", "is not a directory"),
])
def test_a_broken_pack_is_refused_naming_the_family(tmp_path: Path, break_it, field: str,
                                                    match: str) -> None:
    root = write_pack(tmp_path / "pack")
    cfg = pack_config(root)
    break_it(root)
    with pytest.raises(ConfigError, match=match) as exc:
        PromptBook.from_config(cfg.prompts)
    assert [p.path for p in exc.value.problems] == [field]


def test_an_unknown_family_and_half_a_setting_are_named(tmp_path: Path) -> None:
    cfg = load_config(overrides=[f"prompts.dir={write_pack(tmp_path)}",
                                 "prompts.tasks={mazes: mazes}"])
    with pytest.raises(ConfigError, match="unknown family") as exc:
        PromptBook.from_config(cfg.prompts)
    assert exc.value.problems[0].path == "prompts.tasks.mazes"
    with pytest.raises(ConfigError, match="prompts.dir"):
        load_config(overrides=["prompts.tasks={maze: mazes}"])
    with pytest.raises(ConfigError, match="prompts.tasks"):
        load_config(overrides=[f"prompts.dir={tmp_path}"])


def test_the_config_hash_follows_the_packs_content_not_its_place(tmp_path: Path) -> None:
    first = config_hash(pack_config(write_pack(tmp_path / "a")))
    assert config_hash(pack_config(write_pack(tmp_path / "b"))) == first  # same files elsewhere
    assert first != config_hash(load_config())
    (tmp_path / "a" / "prm_instruction" / "mazes.txt").write_text("Judge differently.")
    assert config_hash(pack_config(tmp_path / "a")) != first


def test_sft_demos_are_written_in_the_packs_layout(tmp_path: Path) -> None:
    """`agentrm-ray demos` with a pack: the policy is trained on the chat it is
    searched with."""
    from agentrm_ray.cli.main import app
    from agentrm_ray.data.datasets import load_dataset

    root = write_pack(tmp_path / "pack")
    out = tmp_path / "data"
    result = CliRunner().invoke(app, [
        "demos", "--set", f"prompts.dir={root}", "--set", "prompts.tasks={maze: mazes}",
        "--set", "tasks.families=[maze]", "--limit", "3", "--output", str(out)])
    assert result.exit_code == 0, result.output
    data = load_dataset(out / "policy-sft", "policy-sft")
    rows = data.train + data.val
    assert rows, result.output
    for row in rows:
        messages = row["messages"]
        assert messages[0]["content"] == "Walk the maze. Reply with an Action."
        assert messages[1]["content"] == ETO_ACKNOWLEDGEMENT
        assert messages[2:6] == EXAMPLES[0]
        assert messages[6]["content"].startswith("Your task is to: ")


def test_the_stack_hands_one_book_to_its_expanders_and_scorer(tmp_path: Path) -> None:
    """What a search prompts with: the stack's book, built once from the config."""
    from agentrm_ray.search.stack import SearchStack

    cfg = pack_config(write_pack(tmp_path), **{"reward.method": "value",
                                               "reward.allow_untrained_head": "true"})
    stack = SearchStack(cfg, with_reward_model=True)
    expander = stack.expander_factory()()
    assert expander.prompts is stack.prompts
    assert stack.scorer.instruction_for(MAZE) == "Judge maze progress."


def test_serves_score_reads_the_packs_rm_instruction(tmp_path: Path) -> None:
    from agentrm_ray.serve.catalog import RegistryCatalog
    from agentrm_ray.serve.schemas import ScoreItem

    book = PromptBook.from_config(pack_config(write_pack(tmp_path)).prompts)
    item = ScoreItem(trajectory=Trajectory(task=MAZE))
    other = ScoreItem(trajectory=Trajectory(task=Task(env_id="agentrm/WebShopSim-v0", task_id="x")))
    own = PromptBook().for_family("webshop").rm_instruction
    assert RegistryCatalog(book).instructions([item, other]) == ["Judge maze progress.", own]


def test_rm_labels_use_the_instruction_of_the_runs_own_prompts(tmp_path: Path) -> None:
    """`label_run` reads the prompts from the labelled run's config, so the RM trains on the
    instruction its search was scored with."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "data"))
    from rm_trees import tree_result

    from agentrm_ray.data.datasets import load_dataset
    from agentrm_ray.data.labelling import label_run
    from agentrm_ray.data.results import RunStore

    cfg = pack_config(write_pack(tmp_path / "pack"), **{"search.strategy": "mcts"})
    store = RunStore.open(tmp_path / "run", cfg)
    for i in range(3):
        store.append(tree_result(task_id=f"t{i}"))
    label_run(store.root, tmp_path / "data")
    explicit = load_dataset(tmp_path / "data" / "rm-explicit", "rm-explicit")
    assert all(row["text"].startswith("Judge maze progress.\n")
               for row in explicit.train + explicit.val)
