"""A small typed-STRIPS engine: domains, problems, grounding, applying actions.

Why our own: pddlgym pulls in the old `gym`, and the four AgentBoard games need nothing beyond
STRIPS with types. A fact is a tuple ``(predicate, arg, ...)``, a state a frozenset of facts
(hashable, so it doubles as the fork snapshot and as a search node).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

Fact = tuple[str, ...]
State = frozenset[Fact]

ROOT_TYPE = "object"


class PDDLError(ValueError):
    """A domain or problem that is malformed or inconsistent with its domain."""


@dataclass(frozen=True)
class Atom:
    """A predicate applied to terms; a term starting with '?' is a parameter."""

    predicate: str
    terms: tuple[str, ...]

    def bind(self, binding: dict[str, str]) -> Fact:
        return (self.predicate, *(binding.get(t, t) for t in self.terms))


@dataclass(frozen=True)
class ActionSchema:
    """A lifted action: typed parameters, a conjunctive precondition, add and delete lists."""

    name: str
    parameters: tuple[tuple[str, str], ...]
    precondition: tuple[Atom, ...]
    add: tuple[Atom, ...]
    delete: tuple[Atom, ...]


@dataclass(frozen=True)
class Domain:
    """Types (child -> parent), predicates (name -> parameter types) and action schemas."""

    name: str
    types: dict[str, str]
    predicates: dict[str, tuple[str, ...]]
    actions: tuple[ActionSchema, ...]

    def is_subtype(self, child: str, ancestor: str) -> bool:
        seen = set()
        while child not in seen:
            if child == ancestor:
                return True
            seen.add(child)
            if child == ROOT_TYPE:
                return False
            child = self.types.get(child, ROOT_TYPE)
        return False

    def schema(self, name: str) -> ActionSchema:
        for action in self.actions:
            if action.name == name:
                return action
        raise KeyError(f"domain {self.name!r} has no action {name!r}")

    def fluent_predicates(self) -> frozenset[str]:
        """Predicates some action changes; the others are static (fixed by the problem)."""
        return frozenset(a.predicate for s in self.actions for a in (*s.add, *s.delete))


@dataclass(frozen=True)
class Problem:
    """Typed objects, an initial state and a conjunctive goal over one domain."""

    name: str
    domain: str
    objects: tuple[tuple[str, str], ...]
    init: State
    goal: tuple[Fact, ...]

    def objects_of(self, domain: Domain, type_name: str) -> list[str]:
        return [o for o, t in self.objects if domain.is_subtype(t, type_name)]

    def to_pddl(self) -> str:
        """The problem as PDDL text (objects grouped by type, facts sorted)."""
        by_type: dict[str, list[str]] = {}
        for obj, typ in self.objects:
            by_type.setdefault(typ, []).append(obj)
        objects = "\n".join(f"    {' '.join(objs)} - {typ}" for typ, objs in by_type.items())
        init = "\n".join(f"    {_fact_text(f)}" for f in sorted(self.init))
        goal = "\n".join(f"      {_fact_text(f)}" for f in self.goal)
        return (
            f"(define (problem {self.name})\n  (:domain {self.domain})\n"
            f"  (:objects\n{objects})\n  (:init\n{init})\n"
            f"  (:goal\n    (and\n{goal})))\n"
        )


def _fact_text(fact: Fact) -> str:
    return "(" + " ".join(fact) + ")"


@dataclass(frozen=True)
class GroundAction:
    """An action schema with every parameter bound to an object."""

    name: str
    args: tuple[str, ...]
    pre: frozenset[Fact]
    add: frozenset[Fact]
    delete: frozenset[Fact]

    def applicable(self, state: State) -> bool:
        return self.pre <= state

    def apply(self, state: State) -> State:
        """STRIPS successor: deletes first, then adds (an atom both deleted and added stays)."""
        return (state - self.delete) | self.add

    def missing(self, state: State) -> list[Fact]:
        return sorted(self.pre - state)

    def pddl(self) -> str:
        return _fact_text((self.name, *self.args))


def check_problem(domain: Domain, problem: Problem) -> None:
    """Raise PDDLError when the problem does not fit its domain (names, arities, types)."""
    if problem.domain != domain.name:
        raise PDDLError(f"problem {problem.name!r} is for domain {problem.domain!r}, "
                        f"not {domain.name!r}")
    types = dict(problem.objects)
    for obj, typ in problem.objects:
        if typ != ROOT_TYPE and typ not in domain.types:
            raise PDDLError(f"object {obj!r} has unknown type {typ!r}")
    for fact in (*problem.init, *problem.goal):
        name, args = fact[0], fact[1:]
        if name not in domain.predicates:
            raise PDDLError(f"unknown predicate {name!r} in {_fact_text(fact)}")
        expected = domain.predicates[name]
        if len(args) != len(expected):
            raise PDDLError(f"{_fact_text(fact)}: {name} takes {len(expected)} arguments")
        for arg, want in zip(args, expected, strict=True):
            if arg not in types:
                raise PDDLError(f"{_fact_text(fact)}: unknown object {arg!r}")
            if not domain.is_subtype(types[arg], want):
                raise PDDLError(f"{_fact_text(fact)}: {arg!r} is not a {want}")


def ground(domain: Domain, problem: Problem) -> tuple[GroundAction, ...]:
    """All ground actions whose static preconditions hold in the initial state.

    Parameters are bound left to right and a static precondition is checked as soon as its
    terms are bound, so impossible combinations (a dispenser that does not dispense the
    ingredient, levels that are not adjacent) are never enumerated in full.
    """
    check_problem(domain, problem)
    fluents = domain.fluent_predicates()
    result: list[GroundAction] = []
    for schema in domain.actions:
        names = [p for p, _ in schema.parameters]
        candidates = [problem.objects_of(domain, t) for _, t in schema.parameters]
        statics = [a for a in schema.precondition if a.predicate not in fluents]
        if any(a.bind({}) not in problem.init for a in statics if not a.terms):
            continue  # a static fact without parameters that is false: never applicable
        # the static atoms that become checkable once parameter i is bound
        check_at: list[list[Atom]] = [[] for _ in names]
        for atom in statics:
            if atom.terms:
                check_at[max(names.index(t) for t in atom.terms)].append(atom)
        for binding in _bindings(names, candidates, check_at, problem.init):
            result.append(_instantiate(schema, binding))
    return tuple(result)


def _bindings(
    names: list[str], candidates: list[list[str]], check_at: list[list[Atom]], init: State
) -> Iterator[dict[str, str]]:
    binding: dict[str, str] = {}

    def extend(i: int) -> Iterator[dict[str, str]]:
        if i == len(names):
            yield dict(binding)
            return
        for obj in candidates[i]:
            binding[names[i]] = obj
            if all(atom.bind(binding) in init for atom in check_at[i]):
                yield from extend(i + 1)
        binding.pop(names[i], None)

    return extend(0)


def _instantiate(schema: ActionSchema, binding: dict[str, str]) -> GroundAction:
    def facts(atoms: Iterable[Atom]) -> frozenset[Fact]:
        return frozenset(a.bind(binding) for a in atoms)

    return GroundAction(
        name=schema.name,
        args=tuple(binding[p] for p, _ in schema.parameters),
        pre=facts(schema.precondition),
        add=facts(schema.add),
        delete=facts(schema.delete),
    )


def goal_fraction(goal: tuple[Fact, ...], state: State) -> float:
    """AgentBoard's progress rate: the share of goal facts true in `state`."""
    if not goal:
        return 1.0
    return sum(fact in state for fact in goal) / len(goal)
