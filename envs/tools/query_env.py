"""Tool-Query: answer a question about an academic graph by calling typed tools.

Progress is the share of the question's sub-goals established so far (graphs loaded, the
required nodes/edges checked) with the correct final answer as the last sub-goal; success is
`finish` with the right answer (any `finish` ends the episode). The oracle walks the
question's reference plan, skipping calls whose fact is already established, so it picks up
from any state the episode has reached.

admissible_actions is a list of concrete calls (not templates): the two loaders, node and
neighbour checks of the entities named in the question or returned by tools so far, and
`finish` with each of those entities. It is a sample of sensible moves for random baselines
and policies that pick from a list; the action space itself stays open (any well-formed call
to any tool with any node is accepted).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agentrm_ray.envs.base import Transition
from agentrm_ray.envs.suites import TaskSpec
from agentrm_ray.envs.tools.academia import AcademicDB, academic_db
from agentrm_ray.envs.tools.academia_tools import (
    ACADEMIA_TOOLS,
    AUTHOR_NET,
    PAPER_NET,
    QuerySession,
    fact_key,
    run_academia_tool,
)
from agentrm_ray.envs.tools.answers import is_correct
from agentrm_ray.envs.tools.questions import Question, build_question
from agentrm_ray.envs.tools.tool_env import ToolEnv, call_text, compact, tool_listing

ADMISSIBLE_PER_KIND = 8  # entities of each kind offered in admissible_actions


class ToolQueryEnv(ToolEnv):
    """Academic-graph question answering through AgentBoard-style academia tools."""

    family = "tool_query"
    default_max_steps = 30
    tools = ACADEMIA_TOOLS

    def __init__(self, max_steps: int | None = None, render_mode: str | None = None) -> None:
        super().__init__(max_steps=max_steps, render_mode=render_mode)
        self._db: AcademicDB | None = None
        self._question: Question | None = None
        self._session = QuerySession()

    def task_catalogue(self) -> list[TaskSpec]:
        from agentrm_ray.envs.tools.query_family import query_tasks

        return query_tasks()

    def _load_task(self, task: TaskSpec, rng: np.random.Generator) -> tuple[str, str]:
        self._db = academic_db()
        self._question = build_question(self._db, task.param("template"), task.param("args"))
        self._session = QuerySession()
        self._session.see(self._question.papers, self._question.authors)
        observation = (
            "You can query an academic database of papers and authors with the tools below. "
            f"Question: {self._question.text}\nTools:\n{tool_listing(self.tools)}"
        )
        return observation, self._question.text

    def _run_tool(self, tool: str, args: dict[str, Any]) -> Transition:
        assert self._db is not None and self._question is not None
        if tool == "finish":
            if is_correct(args["answer"], self._question.answer):
                return Transition("Your answer is correct.", reward=1.0, done=True, success=True)
            return Transition(f"Your answer {compact(args['answer'])} is wrong.", done=True,
                              progress=self.subgoal_progress())
        observation, canonical = run_academia_tool(self._db, self._session, tool, args)
        self._session.record(fact_key(tool, canonical))
        return Transition(observation, progress=self.subgoal_progress())

    def subgoal_progress(self) -> float:
        """Established sub-goals / (sub-goals + the final answer)."""
        assert self._question is not None
        facts = set(self._session.facts)
        done = sum(any(key in facts for key in options) for options in self._question.subgoals)
        return done / (len(self._question.subgoals) + 1)

    def _current_progress(self) -> float | None:
        return self.subgoal_progress() if self._question is not None else None

    def admissible_actions(self) -> list[str]:
        actions = [call_text("loadPaperNet", {}), call_text("loadAuthorNet", {})]
        papers = self._session.seen_papers[:ADMISSIBLE_PER_KIND]
        authors = self._session.seen_authors[:ADMISSIBLE_PER_KIND]
        for title in papers:
            actions.append(call_text("paperNodeCheck", {"node": title}))
            actions.append(call_text("neighbourCheck", {"graph": PAPER_NET, "node": title}))
        for name in authors:
            actions.append(call_text("authorNodeCheck", {"node": name}))
            actions.append(call_text("neighbourCheck", {"graph": AUTHOR_NET, "node": name}))
        actions.extend(call_text("finish", {"answer": entity}) for entity in [*papers, *authors])
        return actions

    def oracle_action(self) -> str:
        assert self._question is not None
        facts = set(self._session.facts)
        if all(any(k in facts for k in options) for options in self._question.subgoals):
            return self._question.finish_text()
        for call in self._question.plan:
            if call.key not in facts:
                return call.text
        return self._question.finish_text()

    def _snapshot(self) -> Any:
        return self._session

    def _restore(self, snapshot: Any) -> None:
        assert self.task is not None
        self._load_task(self.task, np.random.default_rng(0))
        self._session = snapshot

    @property
    def question(self) -> Question | None:
        return self._question

    @property
    def session(self) -> QuerySession:
        return self._session
