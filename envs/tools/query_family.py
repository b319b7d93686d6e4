"""The Tool-Query family: its task suite (question templates x arguments) and its prompt."""

from __future__ import annotations

from functools import cache

from agentrm_ray.envs.suites import FamilySpec, PromptSpec, TaskSpec, assign_splits
from agentrm_ray.envs.tools.academia import academic_db
from agentrm_ray.envs.tools.questions import TEMPLATES, build_question, sample_arguments

SUITE_SEED = 4100
TASKS_PER_TEMPLATE = 9

INSTRUCTION = """You answer questions about an academic database by calling tools. PaperNet is \
a graph of papers (a paper's neighbours are the papers it cites); AuthorNet is a graph of \
authors (an author's neighbours are their co-authors). Load a graph before using the tools \
that read it. Tools:
- loadPaperNet: load PaperNet. No input.
- loadAuthorNet: load AuthorNet. No input.
- neighbourCheck: {"graph": "PaperNet" or "AuthorNet", "node": <title or name>} lists the \
papers a paper cites, or an author's co-authors.
- paperNodeCheck: {"node": <title>} gives a paper's authors, year, venue, keywords and how \
many papers cite it.
- authorNodeCheck: {"node": <name>} gives an author's organization and papers.
- authorEdgeCheck: {"node1": <name>, "node2": <name>} lists the papers two authors wrote \
together.
- paperEdgeCheck: {"node1": <title>, "node2": <title>} tells whether one paper cites the other.
- finish: {"answer": <answer>} submits your final answer and ends the episode. Give a number \
for "how many" questions and a list of names when several people are asked for.
Each turn, think briefly, then call exactly one tool in the format:
Thought: <your reasoning>
Action: <tool name> with Action Input: <JSON object>"""

EXAMPLE = """Goal: How many papers did Jane Doe publish at ICML?
Observation: You can query an academic database of papers and authors with the tools below. \
Question: How many papers did Jane Doe publish at ICML?
Thought: I need Jane Doe's papers first, which AuthorNet knows.
Action: loadAuthorNet with Action Input: {}
Observation: AuthorNet is loaded: 3 authors, 2 co-author edges.
Thought: Now I look up her papers.
Action: authorNodeCheck with Action Input: {"node": "Jane Doe"}
Observation: {"name": "Jane Doe", "organization": "Example University", "papers": \
["Toy Graphs for Testing", "Small Models Everywhere"]}
Thought: To see each paper's venue I need PaperNet.
Action: loadPaperNet with Action Input: {}
Observation: PaperNet is loaded: 4 papers, 3 citation edges.
Thought: Check the first paper.
Action: paperNodeCheck with Action Input: {"node": "Toy Graphs for Testing"}
Observation: {"title": "Toy Graphs for Testing", "authors": ["Jane Doe"], "year": 2020, \
"venue": "ICML", "keywords": ["planning"], "n_citation": 1}
Thought: That one is at ICML. Now the second paper.
Action: paperNodeCheck with Action Input: {"node": "Small Models Everywhere"}
Observation: {"title": "Small Models Everywhere", "authors": ["Jane Doe", "John Roe"], \
"year": 2022, "venue": "ACL", "keywords": ["language models"], "n_citation": 0}
Thought: Only one of her two papers appeared at ICML.
Action: finish with Action Input: {"answer": 1}
Observation: Your answer is correct."""


@cache
def _query_tasks() -> tuple[TaskSpec, ...]:
    db = academic_db()
    tasks: list[TaskSpec] = []
    for index, template in enumerate(TEMPLATES):
        chosen = sample_arguments(db, template, TASKS_PER_TEMPLATE, seed=SUITE_SEED + index)
        ids = [f"tool_query-{len(tasks) + i + 1:04d}" for i in range(len(chosen))]
        splits = assign_splits(ids, seed=SUITE_SEED + index)
        for task_id, args in zip(ids, chosen, strict=True):
            plan_length = len(build_question(db, template, args).plan) + 1  # + finish
            tasks.append(TaskSpec(
                task_id, splits[task_id], seed=len(tasks) + 1,
                params=(("template", template), ("args", tuple(args)),
                        ("max_steps", 2 * plan_length + 5)),
            ))
    return tuple(tasks)


def query_tasks() -> list[TaskSpec]:
    """81 questions: 9 per template, each template split 4 test / 2 dev / 3 train."""
    return list(_query_tasks())


FAMILY = FamilySpec(
    name="tool_query",
    env_id="agentrm/ToolQuerySim-v0",
    entry_point="agentrm_ray.envs.tools.query_env:ToolQueryEnv",
    description="Answer questions over a seeded academic graph with AgentBoard-style tools.",
    held_in=False,
    prompt=PromptSpec(INSTRUCTION, EXAMPLE),
    tasks=query_tasks,
    max_steps=30,
)
