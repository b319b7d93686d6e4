"""A synthetic academic database (papers, authors, venues, years, citations, keywords).

Generated in code from a fixed seed so every machine sees the same graph and no data has to
be downloaded. Authors belong to labs (organisations) that mostly write together, publish at
a few favourite venues and on a few favourite topics, so co-author and citation neighbourhoods
look like a real bibliography rather than uniform noise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache

DB_SEED = 20240611
N_PAPERS = 300
FIRST_YEAR, LAST_YEAR = 2015, 2023

FIRST_NAMES = (
    "Ada", "Bruno", "Chen", "Dana", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas",
    "Kira", "Luca", "Maya", "Nils", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara",
    "Umar", "Vera", "Wei", "Xena", "Yusuf", "Zoe", "Amir", "Bianca", "Carlos", "Dmitri",
)
LAST_NAMES = (
    "Abbott", "Berg", "Castillo", "Dietrich", "Eriksen", "Fontaine", "Gupta", "Hansen",
    "Ito", "Jovanovic", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov",
    "Quintero", "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz",
    "Zhang", "Alvarez", "Brennan", "Costa", "Duarte",
)
ORGS = (
    "Northfield University", "Lakeside Institute of Technology", "Harbor City College",
    "Redwood Research Lab", "Eastgate University", "Summit Polytechnic",
    "Riverbend University", "Crescent AI Institute", "Westmoor University",
    "Granite Valley College", "Bayview Institute", "Silverpine University",
)
AUTHORS_PER_ORG = 10
VENUES = ("NeurIPS", "ICML", "ICLR", "ACL", "EMNLP", "KDD", "CVPR", "AAAI", "SIGIR", "WWW")
KEYWORDS = (
    "graph neural networks", "reinforcement learning", "language models", "retrieval",
    "knowledge graphs", "contrastive learning", "recommendation", "question answering",
    "image segmentation", "federated learning", "causal inference", "robustness",
    "program synthesis", "summarization", "meta learning", "planning",
    "representation learning", "active learning", "explainability", "optimization",
)
TITLE_ADJECTIVES = (
    "Scalable", "Robust", "Efficient", "Adaptive", "Sparse", "Hierarchical", "Contrastive",
    "Interpretable", "Federated", "Causal", "Structured", "Lightweight", "Unified",
    "Self-Supervised", "Probabilistic", "Dynamic",
)
TITLE_METHODS = (
    "Attention", "Graph Embeddings", "Policy Optimization", "Retrieval", "Transformers",
    "Message Passing", "Prompt Tuning", "Distillation", "Diffusion Models", "Memory Networks",
    "Reward Modeling", "Curriculum Learning", "Mixture of Experts", "Tree Search",
)
TITLE_TASKS = (
    "Link Prediction", "Question Answering", "Citation Recommendation", "Code Generation",
    "Entity Resolution", "Dialogue Systems", "Molecule Design", "Image Segmentation",
    "Text Summarization", "Traffic Forecasting", "Fact Verification", "Robot Navigation",
    "Program Repair", "Document Ranking",
)


@dataclass(frozen=True)
class Paper:
    title: str
    authors: tuple[str, ...]
    year: int
    venue: str
    keywords: tuple[str, ...]
    references: tuple[str, ...]  # titles of the papers this one cites


@dataclass(frozen=True)
class Author:
    name: str
    org: str
    papers: tuple[str, ...]  # in publication order


@dataclass
class AcademicDB:
    """Papers and authors by name, with the derived citation and co-author indexes."""

    papers: dict[str, Paper]
    authors: dict[str, Author]
    cited_by: dict[str, tuple[str, ...]] = field(init=False)
    _paper_keys: dict[str, str] = field(init=False, repr=False)
    _author_keys: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        citing: dict[str, list[str]] = {t: [] for t in self.papers}
        for paper in self.papers.values():
            for ref in paper.references:
                citing[ref].append(paper.title)
        self.cited_by = {t: tuple(v) for t, v in citing.items()}
        self._paper_keys = {_key(t): t for t in self.papers}
        self._author_keys = {_key(n): n for n in self.authors}

    def find_paper(self, name: str) -> str | None:
        """The canonical title for a name written with any case, quotes or spacing."""
        return self._paper_keys.get(_key(name))

    def find_author(self, name: str) -> str | None:
        return self._author_keys.get(_key(name))

    def coauthors(self, name: str) -> list[str]:
        """Everyone who shares at least one paper with `name`, in name order."""
        found = {a for t in self.authors[name].papers for a in self.papers[t].authors}
        found.discard(name)
        return sorted(found)

    def joint_papers(self, a: str, b: str) -> list[str]:
        return [t for t in self.authors[a].papers if b in self.papers[t].authors]

    def n_citation(self, title: str) -> int:
        return len(self.cited_by[title])

    @property
    def n_citation_edges(self) -> int:
        return sum(len(p.references) for p in self.papers.values())

    @property
    def n_coauthor_edges(self) -> int:
        return sum(len(self.coauthors(a)) for a in self.authors) // 2

    @classmethod
    def from_papers(cls, papers: list[Paper], orgs: dict[str, str]) -> AcademicDB:
        """Build the author table from the papers (authors without papers are dropped)."""
        written: dict[str, list[str]] = {}
        for paper in papers:
            for name in paper.authors:
                written.setdefault(name, []).append(paper.title)
        authors = {n: Author(n, orgs[n], tuple(written[n])) for n in sorted(written)}
        return cls({p.title: p for p in papers}, authors)


def _key(name: str) -> str:
    return " ".join(name.strip().strip("'\"`").lower().split())


@cache
def academic_db(seed: int = DB_SEED) -> AcademicDB:
    """The shared database (built once per process; about 300 papers, ~115 authors)."""
    rng = random.Random(seed)
    names = _author_names(rng, len(ORGS) * AUTHORS_PER_ORG)
    labs = [names[i * AUTHORS_PER_ORG:(i + 1) * AUTHORS_PER_ORG] for i in range(len(ORGS))]
    orgs = {name: ORGS[i] for i, lab in enumerate(labs) for name in lab}
    activity = {name: rng.choice((0.4, 0.7, 1.0, 1.0, 1.5, 2.5)) for name in names}
    lab_venues = [rng.sample(VENUES, 3) for _ in labs]
    lab_topics = [rng.sample(KEYWORDS, 5) for _ in labs]

    drafts = []
    titles: set[str] = set()
    for _ in range(N_PAPERS):
        lab = rng.randrange(len(labs))
        n_authors = rng.choice((1, 2, 2, 3, 3, 3, 4))
        authors = _weighted_sample(rng, labs[lab], [activity[n] for n in labs[lab]], n_authors)
        if n_authors > 1 and rng.random() < 0.2:  # a visitor from another lab
            other = labs[(lab + 1 + rng.randrange(len(labs) - 1)) % len(labs)]
            authors[-1] = _weighted_sample(rng, other, [activity[n] for n in other], 1)[0]
        venue = rng.choice(lab_venues[lab]) if rng.random() < 0.7 else rng.choice(VENUES)
        topics = lab_topics[lab] if rng.random() < 0.8 else list(KEYWORDS)
        keywords = tuple(sorted(rng.sample(topics, rng.choice((2, 2, 3)))))
        title = _new_title(rng, titles)
        drafts.append((rng.randint(FIRST_YEAR, LAST_YEAR), title, tuple(authors), venue, keywords))

    drafts.sort(key=lambda d: (d[0], d[1]))
    papers: list[Paper] = []
    for year, title, authors, venue, keywords in drafts:
        earlier = [p for p in papers if p.year < year]
        weights = [3.0 if set(p.keywords) & set(keywords) else 1.0 for p in earlier]
        k = min(len(earlier), rng.choice((0, 1, 2, 2, 3, 3, 4, 5)))
        refs = _weighted_sample(rng, earlier, weights, k)
        papers.append(Paper(title, authors, year, venue, keywords,
                            tuple(sorted(p.title for p in refs))))
    return AcademicDB.from_papers(papers, orgs)


def _author_names(rng: random.Random, count: int) -> list[str]:
    pool = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    return rng.sample(pool, count)


def _new_title(rng: random.Random, taken: set[str]) -> str:
    while True:
        title = (f"{rng.choice(TITLE_ADJECTIVES)} {rng.choice(TITLE_METHODS)} "
                 f"for {rng.choice(TITLE_TASKS)}")
        if title not in taken:
            taken.add(title)
            return title


def _weighted_sample(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """k distinct items, each draw proportional to weight (random.choices draws with repeats)."""
    pool = list(zip(items, weights, strict=True))
    chosen = []
    for _ in range(min(k, len(pool))):
        total = sum(w for _, w in pool)
        pick = rng.random() * total
        for i, (item, weight) in enumerate(pool):
            pick -= weight
            if pick <= 0 or i == len(pool) - 1:
                chosen.append(item)
                pool.pop(i)
                break
    return chosen
