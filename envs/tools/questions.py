"""Question templates over the academic database, each with its answer and solution path.

A template knows which argument tuples make a well-posed question (`candidates`) and turns
one into a `Question`: the English text, the ground-truth answer computed from the database,
the reference plan (the tool calls a careful solver makes, in order) and the sub-goals (the
facts the answer depends on; each sub-goal lists the fact keys that establish it, so an
equivalent tool call counts too).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentrm_ray.envs.tools.academia import AcademicDB
from agentrm_ray.envs.tools.academia_tools import AUTHOR_NET, PAPER_NET, FactKey, fact_key
from agentrm_ray.envs.tools.tool_env import call_text

Answer = str | int | tuple[str, ...]
MAX_FANOUT = 6  # authors/papers whose every paper/reference must be checked stay this small


@dataclass(frozen=True)
class PlannedCall:
    """One tool call of a reference plan."""

    tool: str
    args: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> FactKey:
        return fact_key(self.tool, dict(self.args))

    @property
    def text(self) -> str:
        return call_text(self.tool, dict(self.args))


@dataclass(frozen=True)
class Question:
    template: str
    text: str
    answer: Answer
    plan: tuple[PlannedCall, ...]
    subgoals: tuple[tuple[FactKey, ...], ...]
    papers: tuple[str, ...] = ()  # entities the question names
    authors: tuple[str, ...] = ()

    def finish_text(self) -> str:
        answer = list(self.answer) if isinstance(self.answer, tuple) else self.answer
        return call_text("finish", {"answer": answer})


def _load(graph: str) -> PlannedCall:
    return PlannedCall(f"load{graph}")


def _call(tool: str, **args: Any) -> PlannedCall:
    return PlannedCall(tool, tuple(args.items()))


def _all_required(plan: list[PlannedCall]) -> tuple[tuple[FactKey, ...], ...]:
    return tuple((call.key,) for call in plan)


def _author_papers_plan(db: AcademicDB, author: str) -> list[PlannedCall]:
    """Read an author's paper list, then every paper's record."""
    return [_load(AUTHOR_NET), _call("authorNodeCheck", node=author), _load(PAPER_NET),
            *(_call("paperNodeCheck", node=t) for t in db.authors[author].papers)]


def _small_authors(db: AcademicDB) -> list[str]:
    return [a for a, rec in db.authors.items() if 2 <= len(rec.papers) <= MAX_FANOUT]


# ----------------------------------------------------------------------------- templates
def _paper_venue_candidates(db: AcademicDB) -> list[tuple]:
    return [(t,) for t in db.papers]


def _paper_venue(db: AcademicDB, title: str) -> Question:
    plan = [_load(PAPER_NET), _call("paperNodeCheck", node=title)]
    return Question("paper_venue", f"At which venue was the paper '{title}' published?",
                    db.papers[title].venue, tuple(plan), _all_required(plan), papers=(title,))


def _first_author_org_candidates(db: AcademicDB) -> list[tuple]:
    return [(t,) for t, p in db.papers.items() if len(p.authors) >= 2]


def _first_author_org(db: AcademicDB, title: str) -> Question:
    first = db.papers[title].authors[0]
    plan = [_load(PAPER_NET), _call("paperNodeCheck", node=title), _load(AUTHOR_NET),
            _call("authorNodeCheck", node=first)]
    return Question("first_author_org",
                    f"Which organization is the first author of the paper '{title}' "
                    "affiliated with?",
                    db.authors[first].org, tuple(plan), _all_required(plan), papers=(title,))


def _coauthor_count_candidates(db: AcademicDB) -> list[tuple]:
    return [(a,) for a in db.authors if db.coauthors(a)]


def _coauthor_count(db: AcademicDB, author: str) -> Question:
    plan = [_load(AUTHOR_NET), _call("neighbourCheck", graph=AUTHOR_NET, node=author)]
    return Question("coauthor_count",
                    f"With how many different people has {author} co-authored at least one "
                    "paper?",
                    len(db.coauthors(author)), tuple(plan), _all_required(plan),
                    authors=(author,))


def _joint_papers_candidates(db: AcademicDB) -> list[tuple]:
    return [(a, b) for a in db.authors for b in db.coauthors(a) if a < b]


def _joint_papers(db: AcademicDB, a: str, b: str) -> Question:
    plan = [_load(AUTHOR_NET), _call("authorEdgeCheck", node1=a, node2=b)]
    return Question("joint_papers", f"How many papers did {a} and {b} write together?",
                    len(db.joint_papers(a, b)), tuple(plan), _all_required(plan),
                    authors=(a, b))


def _venue_count_candidates(db: AcademicDB) -> list[tuple]:
    return [(a, v) for a in _small_authors(db)
            for v in sorted({db.papers[t].venue for t in db.authors[a].papers})]


def _venue_count(db: AcademicDB, author: str, venue: str) -> Question:
    plan = _author_papers_plan(db, author)
    count = sum(db.papers[t].venue == venue for t in db.authors[author].papers)
    return Question("venue_count", f"How many papers did {author} publish at {venue}?",
                    count, tuple(plan), _all_required(plan), authors=(author,))


def _coauthors_in_year_candidates(db: AcademicDB) -> list[tuple]:
    out = []
    for a in _small_authors(db):
        years = sorted({db.papers[t].year for t in db.authors[a].papers
                        if len(db.papers[t].authors) > 1})
        out.extend((a, y) for y in years)
    return out


def _coauthors_in_year(db: AcademicDB, author: str, year: int) -> Question:
    plan = _author_papers_plan(db, author)
    names = sorted({n for t in db.authors[author].papers if db.papers[t].year == year
                    for n in db.papers[t].authors if n != author})
    return Question("coauthors_in_year",
                    f"Who co-authored a paper with {author} that was published in {year}? "
                    "Name all of them.",
                    tuple(names), tuple(plan), _all_required(plan), authors=(author,))


def _citing_paper_candidates(db: AcademicDB) -> list[tuple]:
    out = []
    for a in _small_authors(db):
        refs = [r for t in db.authors[a].papers for r in db.papers[t].references]
        out.extend((a, r) for r in sorted(set(refs)) if refs.count(r) == 1)
    return out


def _citing_paper(db: AcademicDB, author: str, cited: str) -> Question:
    papers = db.authors[author].papers
    answer = next(t for t in papers if cited in db.papers[t].references)
    checks = []
    for title in papers:  # a solver checks the author's papers in order until it finds it
        checks.append(_call("neighbourCheck", graph=PAPER_NET, node=title))
        if title == answer:
            break
    plan = [_load(AUTHOR_NET), _call("authorNodeCheck", node=author), _load(PAPER_NET), *checks]
    subgoals = (*_all_required(plan[:3]),
                (checks[-1].key, _call("paperEdgeCheck", node1=answer, node2=cited).key))
    return Question("citing_paper",
                    f"Which paper written by {author} cites the paper '{cited}'?",
                    answer, tuple(plan), subgoals, papers=(cited,), authors=(author,))


def _cited_in_venue_candidates(db: AcademicDB) -> list[tuple]:
    out = []
    for title, paper in db.papers.items():
        if not 2 <= len(paper.references) <= MAX_FANOUT:
            continue
        venues = [db.papers[r].venue for r in paper.references]
        out.extend((title, v) for v in sorted(set(venues)) if venues.count(v) == 1)
    return out


def _cited_in_venue(db: AcademicDB, title: str, venue: str) -> Question:
    refs = db.papers[title].references
    answer = next(r for r in refs if db.papers[r].venue == venue)
    plan = [_load(PAPER_NET), _call("neighbourCheck", graph=PAPER_NET, node=title)]
    for ref in refs:
        plan.append(_call("paperNodeCheck", node=ref))
        if ref == answer:
            break
    subgoals = (*_all_required(plan[:2]), (plan[-1].key,))
    return Question("cited_in_venue",
                    f"Which of the papers cited by '{title}' was published at {venue}?",
                    answer, tuple(plan), subgoals, papers=(title,))


def _most_cited_candidates(db: AcademicDB) -> list[tuple]:
    out = []
    for a in _small_authors(db):
        counts = sorted((db.n_citation(t) for t in db.authors[a].papers), reverse=True)
        if counts[0] > 0 and counts[0] > counts[1]:
            out.append((a,))
    return out


def _most_cited(db: AcademicDB, author: str) -> Question:
    plan = _author_papers_plan(db, author)
    answer = max(db.authors[author].papers, key=db.n_citation)
    return Question("most_cited",
                    f"Which paper by {author} has been cited by the most papers in the "
                    "database?",
                    answer, tuple(plan), _all_required(plan), authors=(author,))


@dataclass(frozen=True)
class Template:
    name: str
    candidates: Callable[[AcademicDB], list[tuple]]
    build: Callable[..., Question]


TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("paper_venue", _paper_venue_candidates, _paper_venue),
    Template("first_author_org", _first_author_org_candidates, _first_author_org),
    Template("coauthor_count", _coauthor_count_candidates, _coauthor_count),
    Template("joint_papers", _joint_papers_candidates, _joint_papers),
    Template("venue_count", _venue_count_candidates, _venue_count),
    Template("coauthors_in_year", _coauthors_in_year_candidates, _coauthors_in_year),
    Template("citing_paper", _citing_paper_candidates, _citing_paper),
    Template("cited_in_venue", _cited_in_venue_candidates, _cited_in_venue),
    Template("most_cited", _most_cited_candidates, _most_cited),
)}


def build_question(db: AcademicDB, template: str, args: tuple) -> Question:
    return TEMPLATES[template].build(db, *args)


def sample_arguments(db: AcademicDB, template: str, count: int, seed: int) -> list[tuple]:
    """`count` distinct, deterministic argument tuples for a template."""
    candidates = TEMPLATES[template].candidates(db)
    return random.Random(seed).sample(candidates, min(count, len(candidates)))
