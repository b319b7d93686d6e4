"""PDDL: AgentBoard's four planning games (blocksworld, gripper, barman, tyreworld) as text envs,
on a small typed-STRIPS engine with its own parser and planner."""
