"""Reward-model replicas: value head, implicit (beta * log ratio) and LLM-judge scoring."""
