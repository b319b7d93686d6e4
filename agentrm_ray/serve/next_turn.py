"""Step-level Best-of-N for a harness that keeps its own environment.

The backend half of `POST /v1/chat/completions`: sample `best_of` next assistant turns from
the policy replicas in one request, score each as the next step of the conversation's
trajectory with the RM generation leased for the call, and return them ranked. The env has
not answered a candidate yet, so its step is scored with an empty observation: what the RM
reads is the trajectory so far and the candidate's Thought/Action.
"""

from __future__ import annotations

import hashlib

from agentrm_ray.actors.policy.api import GenerationRequest
from agentrm_ray.actors.policy.pool import PolicyPool
from agentrm_ray.actors.reward.api import RMState, ScoreResult
from agentrm_ray.envs import parse_turn
from agentrm_ray.serve.chat_schemas import ChatScorer, NextTurn, NextTurnJob, NextTurns
from agentrm_ray.serve.reward_switch import RewardSwitch


def best_first(candidates: list[NextTurn], n: int) -> list[int]:
    """Indices of the `n` best candidates: highest score first, unscored last, ties (and the
    unranked scorer) in sampling order."""
    order = sorted(range(len(candidates)),
                   key=lambda i: (candidates[i].score is None, -(candidates[i].score or 0.0), i))
    return order[:n]


class NextTurnRanker:
    def __init__(self, policy: PolicyPool, rewards: RewardSwitch) -> None:
        self.policy = policy
        self.rewards = rewards
        self.tokens_out = 0

    async def rank(self, job: NextTurnJob) -> NextTurns:
        request = GenerationRequest(
            messages=job.policy_messages, n=job.best_of, temperature=job.sampling.temperature,
            top_p=job.sampling.top_p, max_tokens=job.sampling.max_tokens,
            stop=job.sampling.stop, seed=job.seed, affinity_key=_conversation_key(job))
        result = await self.policy.generate(request)
        self.tokens_out += result.completion_tokens
        candidates = []
        for sample in result.samples:
            parsed = parse_turn(sample.text)
            candidates.append(NextTurn(
                content=sample.text, thought=parsed.thought, action=parsed.action,
                parsed=parsed.ok,
                finish_reason=sample.finish_reason, tokens=sample.num_tokens))
        async with self.rewards.lease() as rm:
            if job.scorer is ChatScorer.reward_model:
                if rm.pool is None:  # the ingress refuses this; a swap cannot remove the pool
                    raise RuntimeError("scorer=reward_model on a server without RM replicas")
                scores = await rm.pool.score([
                    RMState(instruction=job.instruction, trajectory=job.trajectory.model_copy(
                        update={"steps": [*job.trajectory.steps, c.as_step()]}))
                    for c in candidates])
                candidates = [_scored(c, s) for c, s in zip(candidates, scores, strict=True)]
            return NextTurns(candidates=candidates, chosen=best_first(candidates, job.n),
                             prompt_tokens=result.prompt_tokens, reward_model=rm.model,
                             reward_generation=rm.number)


def _scored(candidate: NextTurn, result: ScoreResult) -> NextTurn:
    return candidate.model_copy(update={"score": result.score, "score_error": result.error})


def _conversation_key(job: NextTurnJob) -> str:
    """The same conversation's turns prefer one replica (its prefix cache holds the history);
    keyed by the task, not by the harness's system prompt that every conversation shares."""
    task = f"{job.trajectory.goal}\n{job.trajectory.initial_observation}"
    return "chat#" + hashlib.sha256(task.encode()).hexdigest()[:16]
