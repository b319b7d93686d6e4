"""The expert: minigrid's BabyAIBot, kept in step with every primitive action the env takes.

BabyAIBot is stateful (its plan stack and the map of cells it has seen), and it expects to be
told each action actually taken. The env therefore feeds the bot after *every* primitive step,
including those inside macro actions and those that differ from its advice, and stores the
bot's next suggestion. This makes the oracle a deterministic function of the action history,
so a replayed fork and a deep-copied fork (the bot is copied together with the minigrid env it
points to) give the same advice as the original.

The bot is third-party heuristic code that asserts its own assumptions; after an off-plan
action it may fail or loop. `GuardedBot` caps the replanning loop, and on any failure the
expert rebuilds a fresh bot for the instructions still left to do, keeping the map of cells
already seen.
"""

from __future__ import annotations

from typing import Any

from minigrid.envs.babyai.core.verifier import AfterInstr, AndInstr, BeforeInstr
from minigrid.utils.baby_ai_bot import BabyAIBot

PRIMITIVE_NAMES = ("turn left", "turn right", "move forward", "pick up", "drop", "toggle")
DONE_ACTION = 6  # minigrid Actions.done: the bot's "nothing left to do"
FALLBACK_ACTION = 0  # turn left: harmless, and changes the view when the bot is lost
MAX_REPLANS = 300


class BotStuckError(RuntimeError):
    """The bot kept rewriting its plan without proposing an action."""


class GuardedBot(BabyAIBot):
    """BabyAIBot whose replanning loop is bounded (the stock loop can spin forever)."""

    def replan(self, action_taken: int | None = None) -> int:
        self._process_obs()
        self._check_erroneous_box_opening(action_taken)
        for subgoal in self.stack:
            subgoal.update_agent_attributes()
        if self.stack:
            self.stack[-1].replan_after_action(action_taken)
        while self.stack and self.stack[-1].is_exploratory():
            self.stack.pop()
        suggestion = None
        rounds = 0
        while self.stack and suggestion is None:
            rounds += 1
            if rounds > MAX_REPLANS:
                raise BotStuckError(f"no action after {MAX_REPLANS} replanning rounds")
            suggestion = self.stack[-1].replan_before_action()
        if not self.stack:
            suggestion = DONE_ACTION
        self._remember_current_state()
        return int(suggestion)


def remaining_instruction(instr: Any) -> Any:
    """The part of a (possibly sequenced) instruction that has not been verified yet."""
    if isinstance(instr, BeforeInstr) and instr.a_done == "success":
        return instr.instr_b
    if isinstance(instr, AfterInstr) and instr.b_done == "success":
        return instr.instr_a
    if isinstance(instr, AndInstr):
        if instr.a_done == "success":
            return instr.instr_b
        if instr.b_done == "success":
            return instr.instr_a
    return instr


class BotExpert:
    """Holds the synced bot and its advice for the current state (see module docstring)."""

    def __init__(self, env: Any) -> None:
        self.env = env.unwrapped
        self.bot: GuardedBot | None = None
        self.suggestion: int = FALLBACK_ACTION
        self.rebuilds = 0
        self._rebuild()

    def observe(self, action: int) -> None:
        """Tell the bot which primitive action was just taken; refresh the advice."""
        try:
            assert self.bot is not None
            suggestion = self.bot.replan(action)
        except Exception:  # the bot's own asserts: recover with a fresh plan
            suggestion = None
        if suggestion is None or suggestion == DONE_ACTION:
            self._rebuild()
        else:
            self.suggestion = suggestion

    def advice(self) -> str:
        return PRIMITIVE_NAMES[self.suggestion]

    def _rebuild(self) -> None:
        """A fresh bot for the remaining instructions: first with the map seen so far, then
        (if that plan fails at once, e.g. because a door closed since) from the current view."""
        seen = None if self.bot is None else self.bot.vis_mask.copy()
        if self.bot is not None:
            self.rebuilds += 1
        for use_map in (True, False) if seen is not None else (False,):
            try:
                bot = GuardedBot(self.env)
                bot.stack = []
                bot._process_instr(remaining_instruction(self.env.instrs))
                if use_map:
                    bot.vis_mask |= seen
                suggestion = bot.replan()
            except Exception:  # this plan is unusable: try the next way
                continue
            if suggestion != DONE_ACTION:
                self.bot = bot
                self.suggestion = suggestion
                return
        self.suggestion = FALLBACK_ACTION
