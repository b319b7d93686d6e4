"""The OpenAI-compatible backend against a real `vllm serve` on 127.0.0.1 (tiny model)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import pytest
from netutil import free_port

from agentrm_ray.actors.policy.api import GenerationRequest, RequestError
from agentrm_ray.actors.policy.backends import BackendSettings, backend_class
from agentrm_ray.actors.policy.backends.openai_backend import EndpointError
from agentrm_ray.actors.policy.backends.vllm_backend import IN_PROCESS_WORKER_ENV

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def vllm_server(tiny_model):
    port = free_port()
    env = dict(
        os.environ,
        VLLM_CPU_KVCACHE_SPACE="1",
        VLLM_CPU_NUM_OF_RESERVED_CPU="0",
        VLLM_HOST_IP="127.0.0.1",
        HF_HUB_OFFLINE="1",
        **IN_PROCESS_WORKER_ENV,  # with "uni" below: no worker process (as CPU replicas)
    )
    # stays open for the server's lifetime; closed after terminate below
    log = open(os.path.join(os.path.dirname(tiny_model), "vllm-serve-test.log"), "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vllm.entrypoints.openai.api_server",
            "--model",
            tiny_model,
            "--served-model-name",
            "tiny",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--max-model-len",
            "1024",
            "--seed",
            "0",
            "--enforce-eager",  # as CPU replicas run: compiling costs a minute on a cold cache
            "--distributed-executor-backend",
            "uni",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"vllm serve exited with {proc.returncode}; see {log.name}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(1)
    else:
        proc.kill()
        raise RuntimeError("vllm serve did not come up in 300 s")
    yield url
    proc.terminate()
    proc.wait(60)
    log.close()


def _generate(url: str, *requests: GenerationRequest, retries: int = 2):
    async def go():
        backend = backend_class("openai")(
            BackendSettings(model_path="", base_url=url, max_retries=retries, timeout_s=30)
        )
        await backend.start()
        try:
            return await asyncio.gather(*(backend.generate(r) for r in requests))
        finally:
            await backend.close()

    return asyncio.run(go())


def test_chat_and_completion_with_n_and_logprobs(vllm_server) -> None:
    chat, completion = _generate(
        vllm_server,
        GenerationRequest(
            messages=[{"role": "user", "content": "Go"}],
            n=2,
            max_tokens=5,
            temperature=1.0,
            seed=1,
            logprobs=True,
        ),
        GenerationRequest(
            prompt="The maze", n=2, max_tokens=5, temperature=1.0, seed=1, logprobs=True
        ),
    )
    for result in (chat, completion):
        assert len(result.samples) == 2 and result.prompt_tokens > 0
        for sample in result.samples:
            assert sample.logprobs is not None and len(sample.logprobs) == 5
            assert sample.num_tokens == 5 and sample.finish_reason == "length"


def test_server_rejection_is_a_request_error(vllm_server) -> None:
    with pytest.raises(RequestError, match="HTTP 400"):
        _generate(vllm_server, GenerationRequest(prompt="word " * 2000, max_tokens=5))


def test_server_down_fails_after_bounded_retries() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    start = time.time()
    with pytest.raises(EndpointError, match="after 3 attempts"):
        _generate(url, GenerationRequest(prompt="x", max_tokens=2), retries=2)
    assert time.time() - start < 10
