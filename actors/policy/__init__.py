"""Policy replicas: one generation API over vLLM, HF transformers and OpenAI-compatible servers."""
