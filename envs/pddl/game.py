"""One playable PDDL problem: its ground actions, their commands, its goal and its planner.

A `Game` is built once per problem and shared by every env on that task (it holds no episode
state; the env keeps the current state). Commands are looked up by `language.normalize`d text;
the PDDL form of an action, e.g. "(unstack b1 b2)", is accepted as well where it is unambiguous.
"""

from __future__ import annotations

from functools import lru_cache

from agentrm_ray.envs.pddl.generators import generate
from agentrm_ray.envs.pddl.language import LEXICONS, Lexicon, join_sentences, normalize
from agentrm_ray.envs.pddl.planner import Planner
from agentrm_ray.envs.pddl.strips import (
    Domain,
    Fact,
    GroundAction,
    Problem,
    State,
    goal_fraction,
    ground,
)
from agentrm_ray.envs.pddl.syntax import load_domain


def _changes_nothing(action: GroundAction) -> bool:
    """True for actions that leave every state as it was, like 'move from rooma to rooma'."""
    return action.add <= action.pre and action.delete <= action.add


class Game:
    """A ground problem with English commands (see module docstring)."""

    def __init__(self, domain: Domain, problem: Problem) -> None:
        self.domain = domain
        self.problem = problem
        self.lexicon: Lexicon = LEXICONS[domain.name]
        self.actions = tuple(a for a in ground(domain, problem) if not _changes_nothing(a))
        self.commands: dict[GroundAction, str] = {}
        self.index: dict[str, list[GroundAction]] = {}
        for action in self.actions:
            command = self.lexicon.command(action, domain.schema(action.name).parameters)
            self.commands[action] = command
            self.index.setdefault(normalize(command), []).append(action)
        english = set(self.index)
        for action in self.actions:  # PDDL-style aliases, never shadowing an English command
            alias = normalize(action.pddl())
            if alias not in english:
                self.index.setdefault(alias, []).append(action)
        self.planner = Planner(self.actions, problem.goal)

    # ------------------------------------------------------------------ reading actions
    def lookup(self, text: str) -> list[GroundAction]:
        """The ground actions a command may mean (empty when it names none)."""
        return self.index.get(normalize(text), [])

    def applicable(self, state: State) -> list[GroundAction]:
        return [a for a in self.actions if a.pre <= state]

    def admissible(self, state: State) -> list[str]:
        """Commands of the applicable actions, each once, in grounding order."""
        return list(dict.fromkeys(self.commands[a] for a in self.applicable(state)))

    # ------------------------------------------------------------------ describing
    def describe(self, state: State) -> str:
        return join_sentences(self.lexicon.describe(list(state)))

    def describe_facts(self, facts: list[Fact]) -> list[str]:
        return self.lexicon.describe(facts)

    def goal_text(self) -> str:
        return join_sentences([s for f in self.problem.goal if (s := self.lexicon.fact(f))])

    def progress(self, state: State) -> float:
        return goal_fraction(self.problem.goal, state)

    def solved(self, state: State) -> bool:
        return all(f in state for f in self.problem.goal)


@lru_cache(maxsize=512)
def load_game(domain: str, size: int, seed: int) -> Game:
    """The game of a generated problem (built once per process and shared read-only)."""
    return Game(load_domain(domain), generate(domain, size, seed))
