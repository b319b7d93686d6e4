"""AgentGym: drive a remote AgentGym-compatible env server (BabyAI, LMRL maze/wordle, TextCraft,
SciWorld, WebShop) over HTTP, one per-server dialect profile each, plus a small maze-backed
maze server that speaks the same protocol for tests and local use."""
