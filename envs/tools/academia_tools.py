"""The academia tools (after AgentBoard's academia toolkit) over an `AcademicDB`.

Two graphs must be loaded before use: PaperNet (nodes are papers; a paper's neighbours are
the papers it cites) and AuthorNet (nodes are authors; neighbours are co-authors). Each
successful call records a *fact key* in the session; the Tool-Query progress measure counts
which of a question's required facts have been established. Calls that cannot be performed
(graph not loaded, unknown node) raise `InvalidCall` so the env reports them as invalid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agentrm_ray.envs.tools.academia import AcademicDB
from agentrm_ray.envs.tools.calls import InvalidCall
from agentrm_ray.envs.tools.signatures import Param, ToolSpec
from agentrm_ray.envs.tools.tool_env import compact

PAPER_NET, AUTHOR_NET = "PaperNet", "AuthorNet"
ANSWER_TYPES: tuple[type, ...] = (str, int, float, list)
FactKey = tuple[str, ...]

_NODE = Param("node", (str,), "a paper title or an author name")
ACADEMIA_TOOLS: dict[str, ToolSpec] = {spec.name: spec for spec in (
    ToolSpec("loadPaperNet", (), "load the paper citation graph (needed before paper tools)"),
    ToolSpec("loadAuthorNet", (), "load the co-author graph (needed before author tools)"),
    ToolSpec("neighbourCheck", (Param("graph", (str,), "PaperNet or AuthorNet"), _NODE),
             "list a node's neighbours: the papers a paper cites (PaperNet) or an author's "
             "co-authors (AuthorNet)"),
    ToolSpec("paperNodeCheck", (_NODE,),
             "a paper's authors, year, venue, keywords and number of citations received"),
    ToolSpec("authorNodeCheck", (_NODE,), "an author's organization and list of papers"),
    ToolSpec("authorEdgeCheck", (Param("node1", (str,)), Param("node2", (str,))),
             "the papers two authors wrote together"),
    ToolSpec("paperEdgeCheck", (Param("node1", (str,)), Param("node2", (str,))),
             "whether either of two papers cites the other"),
    ToolSpec("finish", (Param("answer", ANSWER_TYPES, "the final answer"),),
             "give the final answer and end the episode"),
)}


@dataclass
class QuerySession:
    """What an episode has done so far: loaded graphs, established facts, seen entities."""

    loaded: list[str] = field(default_factory=list)
    facts: list[FactKey] = field(default_factory=list)
    seen_papers: list[str] = field(default_factory=list)
    seen_authors: list[str] = field(default_factory=list)

    def record(self, key: FactKey) -> None:
        if key not in self.facts:
            self.facts.append(key)

    def see(self, papers: Iterable[str] = (), authors: Iterable[str] = ()) -> None:
        for title in papers:
            if title not in self.seen_papers:
                self.seen_papers.append(title)
        for name in authors:
            if name not in self.seen_authors:
                self.seen_authors.append(name)


def fact_key(tool: str, args: dict[str, Any]) -> FactKey:
    """The fact a successful call establishes (symmetric edge checks share one key)."""
    if tool in ("loadPaperNet", "loadAuthorNet"):
        return (tool,)
    if tool == "neighbourCheck":
        return (tool, args["graph"], args["node"])
    if tool in ("authorEdgeCheck", "paperEdgeCheck"):
        return (tool, *sorted((args["node1"], args["node2"])))
    return (tool, args["node"])


def run_academia_tool(db: AcademicDB, session: QuerySession, tool: str,
                      args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Execute one (non-finish) tool; returns the observation and the canonical arguments."""
    if tool == "loadPaperNet":
        _load(session, PAPER_NET)
        return (f"PaperNet is loaded: {len(db.papers)} papers, {db.n_citation_edges} "
                "citation edges."), {}
    if tool == "loadAuthorNet":
        _load(session, AUTHOR_NET)
        return (f"AuthorNet is loaded: {len(db.authors)} authors, {db.n_coauthor_edges} "
                "co-author edges."), {}
    if tool == "neighbourCheck":
        graph = _graph(args["graph"])
        _require(session, graph)
        if graph == PAPER_NET:
            title = _paper(db, args["node"])
            cited = list(db.papers[title].references)
            session.see(papers=cited)
            return compact(cited), {"graph": graph, "node": title}
        name = _author(db, args["node"])
        coauthors = db.coauthors(name)
        session.see(authors=coauthors)
        return compact(coauthors), {"graph": graph, "node": name}
    if tool == "paperNodeCheck":
        _require(session, PAPER_NET)
        title = _paper(db, args["node"])
        paper = db.papers[title]
        session.see(authors=list(paper.authors))
        return compact({
            "title": title, "authors": list(paper.authors), "year": paper.year,
            "venue": paper.venue, "keywords": list(paper.keywords),
            "n_citation": db.n_citation(title),
        }), {"node": title}
    if tool == "authorNodeCheck":
        _require(session, AUTHOR_NET)
        name = _author(db, args["node"])
        author = db.authors[name]
        session.see(papers=list(author.papers))
        return compact({"name": name, "organization": author.org,
                        "papers": list(author.papers)}), {"node": name}
    if tool == "authorEdgeCheck":
        _require(session, AUTHOR_NET)
        a, b = _author(db, args["node1"]), _author(db, args["node2"])
        joint = db.joint_papers(a, b)
        session.see(papers=joint)
        rows = [{"title": t, "year": db.papers[t].year, "venue": db.papers[t].venue}
                for t in joint]
        return compact({"collaborated_papers": rows}), {"node1": a, "node2": b}
    if tool == "paperEdgeCheck":
        _require(session, PAPER_NET)
        a, b = _paper(db, args["node1"]), _paper(db, args["node2"])
        if b in db.papers[a].references:
            text = f"{a!r} cites {b!r}."
        elif a in db.papers[b].references:
            text = f"{b!r} cites {a!r}."
        else:
            text = f"Neither paper cites the other: {a!r}, {b!r}."
        return text, {"node1": a, "node2": b}
    raise InvalidCall(f"Invalid action: unknown tool {tool!r}.")


def _load(session: QuerySession, graph: str) -> None:
    if graph not in session.loaded:
        session.loaded.append(graph)


def _require(session: QuerySession, graph: str) -> None:
    if graph not in session.loaded:
        raise InvalidCall(f"Invalid call: {graph} is not loaded yet; call load{graph} first.")


def _graph(name: str) -> str:
    key = name.strip().lower().replace(" ", "")
    for graph in (PAPER_NET, AUTHOR_NET):
        if key in (graph.lower(), graph.lower().removesuffix("net")):
            return graph
    raise InvalidCall(f"Invalid graph {name!r}: use 'PaperNet' or 'AuthorNet'.")


def _paper(db: AcademicDB, name: str) -> str:
    title = db.find_paper(name)
    if title is None:
        hint = " (that is an author; use AuthorNet tools)" if db.find_author(name) else ""
        raise InvalidCall(f"Invalid node: there is no paper titled {name!r} in PaperNet{hint}.")
    return title


def _author(db: AcademicDB, name: str) -> str:
    author = db.find_author(name)
    if author is None:
        hint = " (that is a paper; use PaperNet tools)" if db.find_paper(name) else ""
        raise InvalidCall(f"Invalid node: there is no author named {name!r} in AuthorNet{hint}.")
    return author
