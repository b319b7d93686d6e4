"""Reading PDDL text: s-expressions, then STRIPS-with-types domains and problems.

Supports exactly what the shipped domains use — :strips and :typing, :types, :predicates, and
actions with :parameters, a conjunctive :precondition and an :effect of atoms and (not atom) —
and rejects anything else with a PDDLError naming the construct, rather than misreading it.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from agentrm_ray.envs.pddl.strips import (
    ROOT_TYPE,
    ActionSchema,
    Atom,
    Domain,
    Fact,
    PDDLError,
    Problem,
)

SExpr = str | list["SExpr"]

SUPPORTED_REQUIREMENTS = frozenset({":strips", ":typing"})
DOMAIN_NAMES = ("blocksworld", "gripper", "barman", "tyreworld")

_TOKEN = re.compile(r"[()]|[^\s()]+")


def read_sexpr(text: str) -> SExpr:
    """Parse one s-expression; ';' starts a comment; symbols are lower-cased (PDDL is not
    case-sensitive)."""
    text = "\n".join(line.split(";", 1)[0] for line in text.splitlines())
    stack: list[list[SExpr]] = [[]]
    for token in _TOKEN.findall(text):
        if token == "(":
            stack.append([])
        elif token == ")":
            if len(stack) == 1:
                raise PDDLError("unbalanced ')'")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(token.lower())
    if len(stack) != 1:
        raise PDDLError("unbalanced '(': missing ')'")
    if len(stack[0]) != 1:
        raise PDDLError(f"expected one expression, found {len(stack[0])}")
    return stack[0][0]


def _typed_list(items: list[SExpr], what: str) -> list[tuple[str, str]]:
    """`a b - t1 c - t2 d` -> [(a, t1), (b, t1), (c, t2), (d, object)]."""
    result: list[tuple[str, str]] = []
    pending: list[str] = []
    i = 0
    while i < len(items):
        item = items[i]
        if not isinstance(item, str):
            raise PDDLError(f"unexpected list in {what}: {item}")
        if item == "-":
            if i + 1 >= len(items) or not isinstance(items[i + 1], str):
                raise PDDLError(f"'-' without a type name in {what}")
            if not pending:
                raise PDDLError(f"type {items[i + 1]} names nothing in {what}")
            result.extend((name, str(items[i + 1])) for name in pending)
            pending = []
            i += 2
            continue
        pending.append(item)
        i += 1
    result.extend((name, ROOT_TYPE) for name in pending)
    return result


def _atom(expr: SExpr, where: str) -> Atom:
    if not isinstance(expr, list) or not expr or not all(isinstance(t, str) for t in expr):
        raise PDDLError(f"expected an atom like (pred ?x) in {where}, got {expr}")
    return Atom(str(expr[0]), tuple(str(t) for t in expr[1:]))


def _conjunction(expr: SExpr, where: str) -> list[SExpr]:
    """The conjuncts of (and ...), or of a single literal; () is the empty conjunction."""
    if isinstance(expr, list) and expr and expr[0] == "and":
        return list(expr[1:])
    if isinstance(expr, list) and not expr:
        return []
    if isinstance(expr, list):
        return [expr]
    raise PDDLError(f"expected a conjunction in {where}, got {expr}")


def _sections(expr: list[SExpr], kind: str) -> tuple[str, list[list[SExpr]]]:
    if len(expr) < 2 or expr[0] != "define":
        raise PDDLError(f"a {kind} must start with (define ...)")
    head = expr[1]
    if not (isinstance(head, list) and len(head) == 2 and head[0] == kind):
        raise PDDLError(f"expected ({kind} <name>) after define, got {head}")
    sections = []
    for section in expr[2:]:
        if not (isinstance(section, list) and section and isinstance(section[0], str)):
            raise PDDLError(f"malformed section {section}")
        sections.append(section)
    return str(head[1]), sections


def parse_domain(text: str) -> Domain:
    """A Domain from PDDL text (STRIPS + typing only)."""
    expr = read_sexpr(text)
    if not isinstance(expr, list):
        raise PDDLError("a domain must be a list expression")
    name, sections = _sections(expr, "domain")
    types: dict[str, str] = {}
    predicates: dict[str, tuple[str, ...]] = {}
    actions: list[ActionSchema] = []
    for section in sections:
        key, body = section[0], section[1:]
        if key == ":requirements":
            unsupported = {str(r) for r in body} - SUPPORTED_REQUIREMENTS
            if unsupported:
                raise PDDLError(f"unsupported requirements: {', '.join(sorted(unsupported))}")
        elif key == ":types":
            for child, parent in _typed_list(body, ":types"):
                types[child] = parent
        elif key == ":predicates":
            for pred in body:
                if not isinstance(pred, list) or not pred or not isinstance(pred[0], str):
                    raise PDDLError(f"malformed predicate {pred}")
                params = _typed_list(pred[1:], f"predicate {pred[0]}")
                predicates[pred[0]] = tuple(t for _, t in params)
        elif key == ":action":
            actions.append(_parse_action(body))
        else:
            raise PDDLError(f"unsupported domain section {key}")
    domain = Domain(name, types, predicates, tuple(actions))
    for schema in domain.actions:
        _check_schema(domain, schema)
    return domain


def _parse_action(body: list[SExpr]) -> ActionSchema:
    if not body or not isinstance(body[0], str):
        raise PDDLError("an action needs a name")
    name = body[0]
    fields: dict[str, SExpr] = {}
    rest = body[1:]
    if len(rest) % 2:
        raise PDDLError(f"action {name}: keys and values must come in pairs")
    for key, value in zip(rest[::2], rest[1::2], strict=True):
        if key not in (":parameters", ":precondition", ":effect"):
            raise PDDLError(f"action {name}: unsupported field {key}")
        fields[str(key)] = value
    raw_params = fields.get(":parameters", [])
    if not isinstance(raw_params, list):
        raise PDDLError(f"action {name}: :parameters must be a list")
    params = _typed_list(raw_params, f"action {name} parameters")
    where = f"action {name}"
    conditions = _conjunction(fields.get(":precondition", []), where)
    if any(isinstance(e, list) and e and e[0] == "not" for e in conditions):
        raise PDDLError(f"{where}: negative preconditions are not supported")
    pre = [_atom(e, f"{where} precondition") for e in conditions]
    add: list[Atom] = []
    delete: list[Atom] = []
    for literal in _conjunction(fields.get(":effect", []), where):
        if isinstance(literal, list) and literal and literal[0] == "not":
            if len(literal) != 2:
                raise PDDLError(f"{where}: (not ...) takes one atom")
            delete.append(_atom(literal[1], f"{where} effect"))
        else:
            add.append(_atom(literal, f"{where} effect"))
    return ActionSchema(name, tuple(params), tuple(pre), tuple(add), tuple(delete))


def _check_schema(domain: Domain, schema: ActionSchema) -> None:
    params = dict(schema.parameters)
    for atom in (*schema.precondition, *schema.add, *schema.delete):
        where = f"action {schema.name}: ({atom.predicate} {' '.join(atom.terms)})"
        if atom.predicate not in domain.predicates:
            raise PDDLError(f"{where}: unknown predicate")
        expected = domain.predicates[atom.predicate]
        if len(expected) != len(atom.terms):
            raise PDDLError(f"{where}: expects {len(expected)} arguments")
        for term, want in zip(atom.terms, expected, strict=True):
            if not term.startswith("?"):
                raise PDDLError(f"{where}: constants are not supported ({term})")
            if term not in params:
                raise PDDLError(f"{where}: {term} is not a parameter")
            if not domain.is_subtype(params[term], want):
                raise PDDLError(f"{where}: {term} is a {params[term]}, not a {want}")


def _facts(exprs: list[SExpr], where: str) -> list[Fact]:
    return [_atom(e, where).bind({}) for e in exprs]


def parse_problem(text: str) -> Problem:
    """A Problem from PDDL text; check it against its domain with strips.check_problem."""
    expr = read_sexpr(text)
    if not isinstance(expr, list):
        raise PDDLError("a problem must be a list expression")
    name, sections = _sections(expr, "problem")
    domain = ""
    objects: list[tuple[str, str]] = []
    init: list[Fact] = []
    goal: list[Fact] = []
    for section in sections:
        key, body = section[0], section[1:]
        if key == ":domain" and len(body) == 1 and isinstance(body[0], str):
            domain = body[0]
        elif key == ":requirements":
            continue
        elif key == ":objects":
            objects = _typed_list(body, ":objects")
        elif key == ":init":
            init = _facts(body, ":init")
        elif key == ":goal" and len(body) == 1:
            goal = _facts(_conjunction(body[0], ":goal"), ":goal")
        else:
            raise PDDLError(f"unsupported problem section {key}")
    if not domain:
        raise PDDLError(f"problem {name} names no (:domain ...)")
    return Problem(name, domain, tuple(objects), frozenset(init), tuple(goal))


def domain_text(name: str) -> str:
    """The shipped PDDL text of one of the four domains."""
    if name not in DOMAIN_NAMES:
        raise KeyError(f"unknown PDDL domain {name!r}; known: {', '.join(DOMAIN_NAMES)}")
    path = resources.files("agentrm_ray.envs.pddl").joinpath("domains").joinpath(f"{name}.pddl")
    return path.read_text(encoding="utf-8")


@cache
def load_domain(name: str) -> Domain:
    """The parsed shipped domain (parsed once per process; Domain is treated as read-only)."""
    return parse_domain(domain_text(name))
