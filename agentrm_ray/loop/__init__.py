"""The AgentRM loop: oracle demos -> policy SFT -> MCTS trees -> labels -> trained RMs ->
RM-guided search compared with greedy. `agentrm-ray quickstart` runs it end to end."""
