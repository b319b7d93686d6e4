"""The OpenAI-compatible routes of the ingress: `GET /v1/models`, `POST /v1/chat/completions`.

The ingress decides everything about a chat request once (`plan_next_turn`: the model id,
`best_of` and `n` against the server's limits, the scorer, sampling over the server's config,
the trajectory the RM reads) and hands the backend a `NextTurnJob`; the backend samples and
ranks (`serve/next_turn.py`); the ingress writes the answer in OpenAI's shape, or as chunks
when the request streams. The same bearer auth, body size limit and 422s naming the field as
the rest of the API.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI
from fastapi.responses import Response, StreamingResponse

from agentrm_ray.config.models import RewardMethod
from agentrm_ray.serve.chat_history import read_chat
from agentrm_ray.serve.chat_schemas import (
    MAX_SEED,
    CandidateReport,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatScorer,
    Choice,
    ChoiceMessage,
    ChunkChoice,
    ChunkDelta,
    ModelCard,
    ModelList,
    NextTurnJob,
    NextTurns,
    Ranking,
    Usage,
)
from agentrm_ray.serve.errors import BackendUnavailable, FieldProblem, RequestProblems
from agentrm_ray.serve.sse import MEDIA_TYPE

if TYPE_CHECKING:
    from agentrm_ray.serve.api import BackendClient, IngressSettings

Reply = Callable[[Any], Any]  # api._raise_error: an ErrorReply becomes its HTTP error


def served_model_ids(settings: IngressSettings) -> list[str]:
    """What `model` may name: the server's policy (its short name or path)."""
    return [settings.policy_model]


def plan_next_turn(req: ChatCompletionRequest, settings: IngressSettings) -> NextTurnJob:
    """The request with every default decided and every limit checked; RequestProblems names
    each field at fault."""
    problems: list[FieldProblem] = []
    if req.model not in served_model_ids(settings):
        problems.append(FieldProblem(("body", "model"), f"this server serves "
                                     f"{served_model_ids(settings)}, not {req.model!r}"))
    limits = settings.limits
    best_of = req.best_of if req.best_of is not None else max(req.n, settings.search.best_of_n.n)
    if req.n > best_of:
        problems.append(FieldProblem(("body", "n"), f"n={req.n} choices cannot come from "
                                     f"best_of={best_of} candidates"))
    if best_of > limits.max_n:
        field = "best_of" if req.best_of is not None else "n"
        problems.append(FieldProblem(("body", field), f"best_of={best_of} exceeds this "
                                     f"server's limit of {limits.max_n}"))
    if req.max_tokens is not None and req.max_completion_tokens is not None:
        problems.append(FieldProblem(("body", "max_completion_tokens"),
                                     "give max_tokens or max_completion_tokens, not both"))
    sampling = settings.sampling
    max_tokens = req.max_completion_tokens or req.max_tokens or sampling.max_tokens
    if max_tokens > limits.max_completion_tokens:
        field = "max_completion_tokens" if req.max_completion_tokens else "max_tokens"
        problems.append(FieldProblem(("body", field), f"{max_tokens} tokens exceed this "
                                     f"server's limit of {limits.max_completion_tokens}"))
    has_rm = RewardMethod(settings.reward_method).loads_model
    scorer = req.scorer or (ChatScorer.reward_model if has_rm else ChatScorer.none)
    if scorer is ChatScorer.reward_model and not has_rm:
        problems.append(FieldProblem(("body", "scorer"), "this server runs reward.method="
                                     f"{settings.reward_method}, which has no RM to rank with; "
                                     "use scorer=none"))
    try:
        history = read_chat(req.messages, req.task_start, req.instruction)
    except RequestProblems as exc:
        problems += exc.problems
    if problems:
        raise RequestProblems(problems)
    stop = [req.stop] if isinstance(req.stop, str) else req.stop
    overlay = {"temperature": req.temperature, "top_p": req.top_p, "max_tokens": max_tokens,
               "stop": stop}
    return NextTurnJob(
        policy_messages=history.policy_messages, instruction=history.instruction,
        trajectory=history.trajectory, best_of=best_of, n=req.n, scorer=scorer,
        sampling=sampling.model_copy(update={k: v for k, v in overlay.items() if v is not None}),
        seed=req.seed if req.seed is not None else _conversation_seed(req))


def _conversation_seed(req: ChatCompletionRequest) -> int:
    """Without a seed, the same conversation samples the same candidates (deterministic given
    the request, as every search here is); a harness wanting variety passes `seed`."""
    text = "\x1e".join(f"{m.role}\x1f{m.text}" for m in req.messages)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") % MAX_SEED


def ranking(job: NextTurnJob, turns: NextTurns) -> Ranking:
    return Ranking(
        scorer=job.scorer, best_of=job.best_of, chosen=turns.chosen,
        candidates=[CandidateReport(content=c.content, action=c.action, score=c.score,
                                    score_error=c.score_error) for c in turns.candidates],
        reward_model=turns.reward_model, reward_generation=turns.reward_generation)


def usage(turns: NextTurns) -> Usage:
    completion = sum(c.tokens for c in turns.candidates)
    return Usage(prompt_tokens=turns.prompt_tokens, completion_tokens=completion,
                 total_tokens=turns.prompt_tokens + completion)


def completion(job: NextTurnJob, turns: NextTurns, model: str) -> ChatCompletion:
    choices = [Choice(index=k, message=ChoiceMessage(content=turns.candidates[i].content),
                      finish_reason=turns.candidates[i].finish_reason)
               for k, i in enumerate(turns.chosen)]
    return ChatCompletion(id=_completion_id(), created=int(time.time()), model=model,
                          choices=choices, usage=usage(turns), agentrm=ranking(job, turns))


def add_chat_routes(api: FastAPI, client: BackendClient, settings: IngressSettings,
                    authorized: Callable[..., Any], reply: Reply,
                    errors: dict[int | str, dict[str, Any]]) -> None:
    @api.get("/v1/models", response_model=ModelList, dependencies=[Depends(authorized)],
             responses=errors)
    async def models() -> ModelList:
        """The model ids `POST /v1/chat/completions` accepts (OpenAI's model list)."""
        return ModelList(data=[ModelCard(id=i) for i in served_model_ids(settings)])

    @api.post("/v1/chat/completions", response_model=ChatCompletion,
              dependencies=[Depends(authorized)],
              responses={**errors, 200: {"description": "A chat completion, or with `stream` "
                                         "its chunks as server-sent events ending in "
                                         "`data: [DONE]`.",
                                         "content": {MEDIA_TYPE: {}}}})
    async def chat_completions(req: ChatCompletionRequest) -> Any:
        """RM-guided next turn: sample `best_of` assistant turns, rank them as the next step
        of the conversation's trajectory with the server's RM, return the best `n`."""
        job = plan_next_turn(req, settings)
        if req.stream:
            return StreamingResponse(_chunks(client, job, req.model, reply),
                                     media_type=MEDIA_TYPE, headers={"Cache-Control": "no-cache"})
        turns = reply(await client.next_turns(job))
        body = completion(job, turns, req.model)
        return Response(body.model_dump_json(), media_type="application/json")


async def _chunks(client: BackendClient, job: NextTurnJob, model: str, reply: Reply
                  ) -> AsyncIterator[bytes]:
    """OpenAI's stream: a role chunk at once, then each choice's whole text once the
    candidates are ranked (Best-of-N cannot pick before every candidate is scored), then the
    finish chunk with the usage and the `agentrm` ranking, then [DONE]."""
    ident, created = _completion_id(), int(time.time())

    def chunk(choices: list[ChunkChoice], **extra: Any) -> bytes:
        body = ChatCompletionChunk(id=ident, created=created, model=model, choices=choices,
                                   **extra)
        return b"data: " + body.model_dump_json(exclude_none=True).encode() + b"\n\n"

    yield chunk([ChunkChoice(index=k, delta=ChunkDelta(role="assistant", content=""))
                 for k in range(job.n)])
    try:
        turns = reply(await client.next_turns(job))
    except BackendUnavailable as exc:
        yield _error_frame(503, str(exc))
        return
    except Exception as exc:  # an HTTP error after the 200 went out: say it in the stream
        yield _error_frame(getattr(exc, "status_code", 500), str(getattr(exc, "detail", exc)))
        return
    picked = [turns.candidates[i] for i in turns.chosen]
    yield chunk([ChunkChoice(index=k, delta=ChunkDelta(content=c.content))
                 for k, c in enumerate(picked)])
    yield chunk([ChunkChoice(index=k, delta=ChunkDelta(), finish_reason=c.finish_reason)
                 for k, c in enumerate(picked)], usage=usage(turns), agentrm=ranking(job, turns))
    yield b"data: [DONE]\n\n"


def _error_frame(status: int, detail: str) -> bytes:
    """OpenAI's in-stream error; its Python client raises it as an APIError."""
    return b"data: " + json.dumps({"error": {"message": detail, "code": status}}).encode() + b"\n\n"


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"
