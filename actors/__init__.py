"""Ray actors that host envs, policy replicas and reward-model replicas (imported as
`agentrm_ray.actors`; never import the unrelated top-level `actors` package)."""
