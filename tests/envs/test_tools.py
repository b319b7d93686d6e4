"""Tool-Query and Tool-Operation: the call parser, each tool's effect, question answers
recomputed from the raw database, invalid calls, progress and oracle replanning."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from agentrm_ray.envs import make_env
from agentrm_ray.envs.tools.academia import AcademicDB, Paper, academic_db
from agentrm_ray.envs.tools.academia_tools import (
    ACADEMIA_TOOLS,
    QuerySession,
    fact_key,
    run_academia_tool,
)
from agentrm_ray.envs.tools.answers import is_correct
from agentrm_ray.envs.tools.calls import InvalidCall, parse_arguments, split_call
from agentrm_ray.envs.tools.goals import CellIs, SheetOrder, TodosKept, TodoState, progress
from agentrm_ray.envs.tools.operation_env import ToolOperationEnv
from agentrm_ray.envs.tools.operation_family import operation_tasks
from agentrm_ray.envs.tools.query_env import ToolQueryEnv
from agentrm_ray.envs.tools.query_family import query_tasks
from agentrm_ray.envs.tools.questions import build_question
from agentrm_ray.envs.tools.signatures import bind, resolve_tool
from agentrm_ray.envs.tools.workspace import Sheet, Workspace
from agentrm_ray.envs.tools.workspace_tools import WORKSPACE_TOOLS, run_workspace_tool


def _parse(text: str, tools=ACADEMIA_TOOLS) -> tuple[str, dict]:
    name, rest = split_call(text)
    spec = resolve_tool(name, tools)
    return spec.name, bind(spec, parse_arguments(rest))


# ----------------------------------------------------------------------------- parser
NODE = {"node": "Deep Nets"}


@pytest.mark.parametrize(("text", "tool", "args"), [
    ('paperNodeCheck with Action Input: {"node": "Deep Nets"}', "paperNodeCheck", NODE),
    ('  paperNodeCheck   WITH action input :  {"node": "Deep Nets"}  ', "paperNodeCheck", NODE),
    ('Action: paperNodeCheck with Action Input: {"node": "Deep Nets"}', "paperNodeCheck", NODE),
    ('`paperNodeCheck` with Action Input: {"node": "Deep Nets"}.', "paperNodeCheck", NODE),
    ('**paperNodeCheck** with Action Input: {"node": "Deep Nets"}', "paperNodeCheck", NODE),
    ('paperNodeCheck\nAction Input: {"node": "Deep Nets"}', "paperNodeCheck", NODE),
    ('paperNodeCheck Action Input: {"node": "Deep Nets"}', "paperNodeCheck", NODE),
    ("paperNodeCheck with Action Input: {'node': 'Deep Nets'}", "paperNodeCheck", NODE),
    ('paperNodeCheck with Action Input: ```json\n{"node": "Deep Nets"}\n```', "paperNodeCheck",
     NODE),
    ('paperNodeCheck with Action Input: "Deep Nets"', "paperNodeCheck", NODE),
    ("paperNodeCheck with Action Input: Deep Nets", "paperNodeCheck", NODE),
    ('paperNodeCheck({"node": "Deep Nets"})', "paperNodeCheck", NODE),
    ('paperNodeCheck with {"node": "Deep Nets"}', "paperNodeCheck", NODE),
    ('paperNodeCheck("Deep Nets")', "paperNodeCheck", NODE),
    ('paperNodeCheck(node="Deep Nets")', "paperNodeCheck", NODE),
    ('papernodecheck with Action Input: {"Node": "Deep Nets"}', "paperNodeCheck", NODE),
    ("loadPaperNet", "loadPaperNet", {}),
    ("loadPaperNet()", "loadPaperNet", {}),
    ("loadPaperNet with Action Input: {}", "loadPaperNet", {}),
    ("loadPaperNet with Action Input: None", "loadPaperNet", {}),
    ('neighbourCheck("AuthorNet", "Ada Berg")', "neighbourCheck",
     {"graph": "AuthorNet", "node": "Ada Berg"}),
    ('finish with Action Input: {"answer": ["A", "B"]}', "finish", {"answer": ["A", "B"]}),
    ("finish with Action Input: 3", "finish", {"answer": 3}),
])
def test_parser_reads_sloppy_calls(text: str, tool: str, args: dict) -> None:
    assert _parse(text) == (tool, args)


@pytest.mark.parametrize(("text", "tool", "args"), [
    ("getTodoList", "get_todo_list", {}),
    ('update_todo(id=3, fields={"done": true})', "update_todo",
     {"id": 3, "fields": {"done": True}}),
    ("update_todo with Action Input: {'id': 3, 'fields': {'done': True}}", "update_todo",
     {"id": 3, "fields": {"done": True}}),
    ('sort_sheet with Action Input: {"sheet": "Grades", "col": 3, "descending": true}',
     "sort_sheet", {"sheet": "Grades", "col": 3, "descending": True}),
])
def test_parser_reads_operation_calls(text: str, tool: str, args: dict) -> None:
    assert _parse(text, WORKSPACE_TOOLS) == (tool, args)


@pytest.mark.parametrize("text", [
    "",
    "???",
    "{not json",
    'paperNodeCheck with Action Input: {"node": ',
    'paperNodeCheck with Action Input: {"node": "x"} and then more',
    'paperNodeCheck({"node": "x"}',
    "paperNodeCheck please look at Deep Nets",
    "flyToTheMoon with Action Input: {}",
    'paperNodeCheck with Action Input: {"title": "x"}',            # unknown argument
    "paperNodeCheck with Action Input: {}",                          # missing argument
    'paperNodeCheck with Action Input: {"node": "x", "graph": "y"}',  # extra argument
    'paperNodeCheck with Action Input: {"node": 7}',                  # wrong type
    'paperNodeCheck with Action Input: {"node": ["x"]}',
    'paperNodeCheck("a", "b")',
    "paperNodeCheck({1, 2})",
])
def test_parser_rejects_bad_calls(text: str) -> None:
    with pytest.raises(InvalidCall, match="Invalid"):
        _parse(text)


def test_bool_is_not_an_integer_argument() -> None:
    with pytest.raises(InvalidCall, match="'id' must be a integer"):
        _parse('complete_todo with Action Input: {"id": true}', WORKSPACE_TOOLS)


# ----------------------------------------------------------------------------- academia tools
def _tiny_db() -> AcademicDB:
    papers = [
        Paper("Old Roots", ("Ann Lee", "Bob Ray"), 2015, "ICML", ("planning",), ()),
        Paper("Middle Ground", ("Bob Ray",), 2018, "ACL", ("retrieval",), ("Old Roots",)),
        Paper("New Leaves", ("Ann Lee", "Cy Fox", "Bob Ray"), 2021, "ICML", ("planning",),
              ("Old Roots", "Middle Ground")),
    ]
    orgs = {"Ann Lee": "Uni A", "Bob Ray": "Uni B", "Cy Fox": "Uni A", "Idle Person": "Uni C"}
    return AcademicDB.from_papers(papers, orgs)


def _run(db, session, text):
    tool, args = _parse(text)
    observation, _ = run_academia_tool(db, session, tool, args)
    return observation


def test_academia_tools_on_a_constructed_graph() -> None:
    db, session = _tiny_db(), QuerySession()
    assert "Idle Person" not in db.authors  # authors without papers are not nodes
    with pytest.raises(InvalidCall, match="not loaded"):
        _run(db, session, 'paperNodeCheck("Old Roots")')
    assert "3 papers, 3 citation edges" in _run(db, session, "loadPaperNet")
    assert "3 authors, 3 co-author edges" in _run(db, session, "loadAuthorNet")
    record = json.loads(_run(db, session, 'paperNodeCheck("old  roots")'))
    assert record == {"title": "Old Roots", "authors": ["Ann Lee", "Bob Ray"], "year": 2015,
                      "venue": "ICML", "keywords": ["planning"], "n_citation": 2}
    assert json.loads(_run(db, session, 'neighbourCheck("PaperNet", "New Leaves")')) == [
        "Old Roots", "Middle Ground"]
    assert json.loads(_run(db, session, 'neighbourCheck("AuthorNet", "Cy Fox")')) == [
        "Ann Lee", "Bob Ray"]
    author = json.loads(_run(db, session, 'authorNodeCheck("Ann Lee")'))
    assert author == {"name": "Ann Lee", "organization": "Uni A",
                      "papers": ["Old Roots", "New Leaves"]}
    joint = json.loads(_run(db, session, 'authorEdgeCheck("Bob Ray", "Ann Lee")'))
    assert [p["title"] for p in joint["collaborated_papers"]] == ["Old Roots", "New Leaves"]
    assert _run(db, session, 'paperEdgeCheck("Old Roots", "Middle Ground")') == (
        "'Middle Ground' cites 'Old Roots'.")
    assert "Neither" in _run(db, session, 'paperEdgeCheck("Old Roots", "Old Roots")')
    with pytest.raises(InvalidCall, match="no author named"):
        _run(db, session, 'authorNodeCheck("Old Roots")')
    with pytest.raises(InvalidCall, match="Invalid graph"):
        _run(db, session, 'neighbourCheck("CitationNet", "Old Roots")')
    _, canonical = run_academia_tool(db, session, "authorEdgeCheck",
                                     {"node1": "bob ray", "node2": "Ann Lee"})
    assert fact_key("authorEdgeCheck", canonical) == ("authorEdgeCheck", "Ann Lee", "Bob Ray")


# ----------------------------------------------------------------------------- questions
def _recompute(db: AcademicDB, template: str, args: tuple):
    """Each answer again, from the raw paper records only (no AcademicDB helpers)."""
    papers = list(db.papers.values())

    def by(author):
        return [p for p in papers if author in p.authors]

    def n_cited(title):
        return sum(title in p.references for p in papers)

    if template == "paper_venue":
        return db.papers[args[0]].venue
    if template == "first_author_org":
        return db.authors[db.papers[args[0]].authors[0]].org
    if template == "coauthor_count":
        return len({a for p in by(args[0]) for a in p.authors} - {args[0]})
    if template == "joint_papers":
        return sum(args[1] in p.authors for p in by(args[0]))
    if template == "venue_count":
        return sum(p.venue == args[1] for p in by(args[0]))
    if template == "coauthors_in_year":
        return tuple(sorted({a for p in by(args[0]) if p.year == args[1] for a in p.authors}
                            - {args[0]}))
    if template == "citing_paper":
        (hit,) = [p.title for p in by(args[0]) if args[1] in p.references]
        return hit
    if template == "cited_in_venue":
        (hit,) = [r for r in db.papers[args[0]].references if db.papers[r].venue == args[1]]
        return hit
    if template == "most_cited":
        counts = {p.title: n_cited(p.title) for p in by(args[0])}
        best = max(counts.values())
        (hit,) = [t for t, c in counts.items() if c == best]
        return hit
    raise AssertionError(template)


def test_every_question_answer_matches_the_raw_database() -> None:
    db = academic_db()
    templates = set()
    for task in query_tasks():
        template, args = task.param("template"), task.param("args")
        question = build_question(db, template, args)
        assert question.answer == _recompute(db, template, args), task.task_id
        templates.add(template)
    assert len(templates) == 9


def test_database_and_suites_do_not_depend_on_hash_seed() -> None:
    script = (
        "import hashlib, json\n"
        "from agentrm_ray.envs.tools.academia import academic_db\n"
        "from agentrm_ray.envs.tools.query_family import query_tasks\n"
        "from agentrm_ray.envs.tools.operation_family import operation_tasks\n"
        "from agentrm_ray.envs.tools.operation_tasks import build_operation_task\n"
        "db = academic_db()\n"
        "ops = [build_operation_task(t.param('template'), t.seed) for t in operation_tasks()]\n"
        "blob = repr((list(db.papers.values()), list(db.authors.values()), query_tasks(),\n"
        "             operation_tasks(), [(o.goal, o.workspace) for o in ops]))\n"
        "print(hashlib.sha256(blob.encode()).hexdigest())\n"
    )
    digests = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       check=True, env={**os.environ, "PYTHONHASHSEED": seed},
                       timeout=60).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


@pytest.mark.parametrize(("submitted", "truth", "ok"), [
    (3, 3, True), ("3 papers", 3, True), ("three", 3, True), (3.0, 3, True), ("2 or 3", 3, False),
    (True, 1, False), ("icml", "ICML", True), (["ICML"], "ICML", True), ("ICLR", "ICML", False),
    ("'Sparse Attention for X.'", "Sparse Attention for X", True),
    (["Bob Ray", "ann lee"], ("Ann Lee", "Bob Ray"), True), ("Ann Lee and Bob Ray",
                                                             ("Ann Lee", "Bob Ray"), True),
    ("Ann Lee", ("Ann Lee", "Bob Ray"), False), (["Ann Lee", "Bob Ray", "Cy Fox"],
                                                 ("Ann Lee", "Bob Ray"), False),
])
def test_answer_comparison_is_normalised(submitted, truth, ok: bool) -> None:
    assert is_correct(submitted, truth) is ok


# ----------------------------------------------------------------------------- Tool-Query env
def _query_task(template: str):
    return next(t for t in query_tasks() if t.param("template") == template and t.split == "test")


def test_query_progress_counts_subgoals() -> None:
    env = ToolQueryEnv()
    task = _query_task("venue_count")
    env.reset(seed=0, options={"task_id": task.task_id})
    question = env.question
    assert question is not None
    total = len(question.subgoals) + 1
    _, _, _, _, info = env.step("paperNodeCheck with Action Input: {bad")
    assert info["progress"] == 0.0 and info["valid_action"] is False
    for done, call in enumerate(question.plan, start=1):
        _, _, _, _, info = env.step(call.text)
        assert info["valid_action"] and info["progress"] == pytest.approx(done / total)
        _, _, _, _, info = env.step(call.text)  # repeating a call establishes nothing new
        assert info["progress"] == pytest.approx(done / total)
    _, reward, terminated, _, info = env.step(question.finish_text())
    assert terminated and reward == 1.0 and info["success"] and info["progress"] == 1.0


def test_query_subgoals_accept_an_equivalent_call() -> None:
    env = ToolQueryEnv()
    task = _query_task("citing_paper")
    env.reset(seed=0, options={"task_id": task.task_id})
    question = env.question
    assert question is not None
    author, cited = question.authors[0], question.papers[0]
    for call in question.plan[:3]:
        env.step(call.text)
    before = env.subgoal_progress()
    edge = json.dumps({"node1": cited, "node2": question.answer})
    _, _, _, _, info = env.step(f"paperEdgeCheck with Action Input: {edge}")
    assert info["valid_action"] and env.subgoal_progress() > before
    assert env.oracle_action() == question.finish_text()  # nothing left to look up
    assert author in env.session.seen_authors


def test_query_wrong_answer_ends_the_episode_unsuccessfully() -> None:
    env = ToolQueryEnv()
    task = _query_task("coauthor_count")
    env.reset(seed=0, options={"task_id": task.task_id})
    assert env.question is not None
    wrong = int(env.question.answer) + 1  # type: ignore[arg-type]
    obs, reward, terminated, _, info = env.step(f'finish with Action Input: {{"answer": {wrong}}}')
    assert terminated and reward == 0.0 and not info["success"] and "wrong" in obs


@pytest.mark.parametrize("env_id", ["agentrm/ToolQuerySim-v0", "agentrm/ToolOperationSim-v0"])
def test_invalid_calls_are_observations(env_id: str) -> None:
    env = make_env(env_id)
    task = env.task_catalogue()[0]
    env.reset(seed=0, options={"task_id": task.task_id})
    for bad in ['finish with Action Input: {"answer": ', "xyzzy with Action Input: {}",
                'get_sheet with Action Input: {"name": "Grades", "extra": 1}',
                'complete_todo with Action Input: {"id": "one"}']:
        obs, reward, terminated, _, info = env.step(bad)
        assert "Invalid" in obs and info["valid_action"] is False and not terminated
        assert reward == 0.0 and "Valid tools are" in obs


@pytest.mark.parametrize("env_id", ["agentrm/ToolQuerySim-v0", "agentrm/ToolOperationSim-v0"])
def test_oracle_recovers_after_random_actions(env_id: str) -> None:
    rng = random.Random(7)
    env = make_env(env_id)
    junk = ["xyzzy", '{"a":', "finish(", 'update_todo with Action Input: {"id": 1}',
            'neighbourCheck with Action Input: {"graph": "PaperNet", "node": "nope"}']
    for task in env.task_catalogue()[::4]:
        env.reset(seed=1, options={"task_id": task.task_id})
        for _ in range(4):
            valid = [a for a in env.admissible_actions() if not a.startswith("finish")]
            env.step(rng.choice(valid) if rng.random() < 0.6 else rng.choice(junk))
        info = {"success": False}
        while not env.finished:
            _, _, _, _, info = env.step(env.oracle_action())
        assert info["success"], (task.task_id, env.actions_taken)


# ----------------------------------------------------------------------------- workspace tools
def _workspace() -> Workspace:
    ws = Workspace()
    ws.add("Water plants", "2024-05-02", "Home")
    ws.add("Feed the cat", "2024-05-03", "Home")
    ws.sheets = [Sheet("Grades", ["Student", "Subject", "Score"],
                       [["Emma", "Art", 54], ["Dev", "Math", 91], ["Iris", "Art", 72]])]
    return ws


def _op(ws: Workspace, text: str) -> str:
    tool, args = _parse(text, WORKSPACE_TOOLS)
    return run_workspace_tool(ws, tool, args)


def test_todo_tools_change_the_list() -> None:
    ws = _workspace()
    added = json.loads(_op(ws, 'add_todo("Buy milk", "2024-06-01", "Shop")'))["added"]
    assert added == {"id": 3, "title": "Buy milk", "due": "2024-06-01", "project": "Shop",
                     "done": False}
    _op(ws, 'complete_todo with Action Input: {"id": 2}')
    assert ws.todo(2).done is True  # type: ignore[union-attr]
    _op(ws, 'update_todo with Action Input: {"id": 1, "fields": {"due": "2024-07-01", '
            '"project": "Garden", "done": true}}')
    assert (ws.todo(1).due, ws.todo(1).project, ws.todo(1).done) == (  # type: ignore[union-attr]
        "2024-07-01", "Garden", True)
    _op(ws, 'delete_todo with Action Input: {"id": 1}')
    assert [t.id for t in ws.todos] == [2, 3]
    assert [t["id"] for t in json.loads(_op(ws, "get_todo_list"))] == [2, 3]
    _op(ws, 'add_todo("Again", "2024-06-02", "Shop")')
    assert ws.todos[-1].id == 4  # ids are never reused
    for bad in ['complete_todo with Action Input: {"id": 1}',
                'add_todo("X", "June 3rd", "Home")',
                'update_todo with Action Input: {"id": 2, "fields": {"colour": "red"}}',
                'update_todo with Action Input: {"id": 2, "fields": {"done": "yes"}}',
                'update_todo with Action Input: {"id": 2, "fields": {}}']:
        with pytest.raises(InvalidCall, match="Invalid"):
            _op(ws, bad)
    assert ws.todo(2).title == "Feed the cat"  # type: ignore[union-attr]


def test_sheet_tools_change_the_sheet() -> None:
    ws = _workspace()
    sheet = ws.sheets[0]
    shown = json.loads(_op(ws, 'get_sheet("grades")'))
    assert shown["rows"][1] == {"row": 2, "Student": "Dev", "Subject": "Math", "Score": 91}
    _op(ws, 'update_cell with Action Input: {"sheet": "Grades", "row": 1, "col": "score", '
            '"value": 60}')
    _op(ws, 'update_cell with Action Input: {"sheet": "Grades", "row": 3, "col": 2, '
            '"value": "Bio"}')
    assert sheet.rows[0][2] == 60 and sheet.rows[2][1] == "Bio"
    _op(ws, 'insert_row with Action Input: {"sheet": "Grades", "values": ["Zed", "Art", 50]}')
    _op(ws, 'insert_row with Action Input: {"sheet": "Grades", "values": {"Student": "Al"}}')
    assert sheet.rows[-2:] == [["Zed", "Art", 50], ["Al", "", ""]]
    _op(ws, 'sort_sheet with Action Input: {"sheet": "Grades", "col": "Student"}')
    assert [r[0] for r in sheet.rows] == ["Al", "Dev", "Emma", "Iris", "Zed"]
    _op(ws, 'sort_sheet with Action Input: {"sheet": "Grades", "col": "Score", '
            '"descending": true}')
    assert [r[2] for r in sheet.rows] == [91, 72, 60, 50, ""]
    for bad in ['update_cell with Action Input: {"sheet": "Grades", "row": 9, "col": 1, '
                '"value": 1}',
                'update_cell with Action Input: {"sheet": "Grades", "row": 1, "col": "Age", '
                '"value": 1}',
                'insert_row with Action Input: {"sheet": "Grades", "values": ["only one"]}',
                'get_sheet("Payroll")']:
        with pytest.raises(InvalidCall, match="Invalid"):
            _op(ws, bad)
    assert len(sheet.rows) == 5


def test_operation_progress_counts_conditions_and_guards() -> None:
    ws = _workspace()
    conditions = (TodoState("Feed the cat", done=True),
                  CellIs("Grades", "Student", "Dev", "Score", 95),
                  SheetOrder("Grades", "Score"),
                  TodosKept(items=(("Water plants", "2024-05-02", "Home", False),)))
    assert progress(conditions, ws) == 0.0
    _op(ws, "complete_todo(2)")
    assert progress(conditions, ws) == pytest.approx(1 / 3)
    _op(ws, 'update_cell("Grades", 2, "Score", "95")')  # numeric text equals the number
    assert progress(conditions, ws) == pytest.approx(2 / 3)
    _op(ws, 'sort_sheet("Grades", "Score")')
    assert progress(conditions, ws) == pytest.approx(1.0)
    _op(ws, "complete_todo(1)")  # breaks the guard
    assert progress(conditions, ws) == pytest.approx(2 / 3)


def test_operation_finish_is_judged_on_the_state() -> None:
    env = ToolOperationEnv()
    task = next(t for t in operation_tasks() if t.param("template") == "set_and_sort")
    env.reset(seed=0, options={"task_id": task.task_id})
    clone = env.fork()
    obs, reward, terminated, _, info = env.step("finish")
    assert terminated and reward == 0.0 and not info["success"] and "0 of 2" in obs
    steps = 0
    while not clone.finished:
        _, reward, _, _, info = clone.step(clone.oracle_action())
        steps += 1
    assert info["success"] and reward == 1.0 and steps <= task.param("max_steps")
    assert clone.actions_taken[0].startswith("get_sheet")  # looks before it edits


def test_every_operation_goal_starts_unmet() -> None:
    env = ToolOperationEnv()
    for task in operation_tasks():
        env.reset(seed=0, options={"task_id": task.task_id})
        assert all(c.guard or not c.holds(env.workspace) for c in env.conditions), task.task_id
