"""Maze: the double-T maze of LMRL-Gym / AgentGym, plus random mazes for held-out tests."""
