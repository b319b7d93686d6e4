"""Helpers for tests and benchmarks, kept apart from what runs in production: tiny random
models built offline (`tiny_models`). Nothing in the library imports this package."""
