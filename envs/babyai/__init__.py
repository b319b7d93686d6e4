"""BabyAI: the minigrid BabyAI levels as a text game with AgentBoard-style macro actions."""
