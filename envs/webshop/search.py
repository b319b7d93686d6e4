"""Product search: BM25 (from `rank_bm25`) over each product's title, type, attributes and options.

WebShop ranks with a Lucene BM25 index over product text; `rank_bm25.BM25Okapi` gives the same
ranking function in-process. A query returns at most `MAX_RESULTS` products with a positive
score, best first, ties broken by catalogue order so results are deterministic.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import numpy as np
from rank_bm25 import BM25Okapi

from agentrm_ray.envs.webshop.catalogue import Catalogue, Product, default_catalogue

MAX_RESULTS = 50
_TOKEN = re.compile(r"[a-z0-9]+")


def tokenize(text: str) -> list[str]:
    """Lower-cased alphanumeric runs: "Long-Lasting 3.4 fl oz" -> long, lasting, 3, 4, fl, oz."""
    return _TOKEN.findall(text.lower())


def product_document(product: Product) -> str:
    """The text a product is indexed under (what a shopper's words can match)."""
    option_words = " ".join(v for _, values in product.options for v in values)
    return " ".join((product.title, product.product_type, product.category,
                     " ".join(product.attributes), option_words))


class SearchEngine:
    """BM25 index over a catalogue; `search` returns ASINs, best first."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._asins = [p.asin for p in catalogue.products]
        self._bm25 = BM25Okapi([tokenize(product_document(p)) for p in catalogue.products])
        self._search = lru_cache(maxsize=4096)(self._rank)

    def search(self, query: str) -> tuple[str, ...]:
        """Up to MAX_RESULTS ASINs matching `query` (case and punctuation ignored)."""
        return self._search(" ".join(tokenize(query)))

    def _rank(self, normalised_query: str) -> tuple[str, ...]:
        tokens = normalised_query.split()
        if not tokens:
            return ()
        scores = np.asarray(self._bm25.get_scores(tokens))
        order = np.argsort(-scores, kind="stable")[:MAX_RESULTS]
        return tuple(self._asins[i] for i in order if scores[i] > 0)


@cache
def default_engine() -> SearchEngine:
    """The engine over `default_catalogue()` (index built once per process)."""
    return SearchEngine(default_catalogue())
