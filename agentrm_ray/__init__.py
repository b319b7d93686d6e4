"""agentrm-ray: distributed RM-guided test-time search for LLM agents on Ray."""

__version__ = "0.1.0"
