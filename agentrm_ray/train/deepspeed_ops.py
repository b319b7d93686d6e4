"""DeepSpeed's CPU collective op, compiled at set-up instead of inside the first training run.

On CPUs every DeepSpeed training process loads the shared-memory all-reduce op
(`deepspeed_shm_comm`), which DeepSpeed JIT-compiles with ninja into ~/.cache/torch_extensions
the first time a venv uses it: 28 s on an idle 2-core machine, 85 s while other work shares
the cores (the ninja logs of this repository's test runs). Compiled there, it stalls the first
fit of a fresh machine — a CI run's first training test, `make demo`'s SFT stage — while every
later process only loads the cached library. `make setup` builds it here once, on an otherwise
idle machine (run again with the cache warm, this module takes 4 s, nearly all of it importing
torch and DeepSpeed).
"""

from __future__ import annotations

import sys

SHM_OP_BUILDER = "ShareMemCommBuilder"


def prebuild_cpu_ops() -> str | None:
    """Compile (or load from the cache) the op DeepSpeed's CPU processes load; its name, or
    None where DeepSpeed would not load it (a GPU accelerator, an op marked incompatible)."""
    import deepspeed.ops
    from deepspeed.accelerator import get_accelerator

    if get_accelerator().device_name() != "cpu":
        return None
    builder = get_accelerator().create_op_builder(SHM_OP_BUILDER)
    if builder is None or not deepspeed.ops.__compatible_ops__.get(builder.NAME, False):
        return None
    builder.load(verbose=False)
    return str(builder.absolute_name())


def main() -> int:
    """`python -m agentrm_ray.train.deepspeed_ops` (scripts/setup.sh)."""
    try:
        built = prebuild_cpu_ops()
    except Exception as exc:  # a failed build must not fail set-up: training builds it again
        print(f"DeepSpeed CPU op not prebuilt ({type(exc).__name__}: {exc}); the first "
              "training run compiles it", file=sys.stderr)
        return 0
    print(f"DeepSpeed CPU op ready: {built}" if built else "no DeepSpeed CPU op to build",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
