"""Search served over HTTP by Ray Serve.

Two deployments: `SearchIngress` (FastAPI: typed requests, auth, size and budget limits,
metrics, server-sent progress; scaled by `serve.autoscaling`) in front of one `SearchBackend`
that owns the actor pools (policy, env and RM replicas of a `SearchStack`) and runs the
searches. Model replicas scale with `policy.replicas` / `reward.replicas`, not with HTTP load,
which is why the pools sit behind the ingress instead of inside every ingress replica.

Modules: `schemas` (request/response models), `limits` (budget caps -> 422), `catalog` (task
and env lookup), `observer` (progress events + env release on cancellation), `reward_switch`
(RM checkpoint swap with draining), `runner` (one search per request), `service` (the backend's
logic, no Serve), `deployments` (the two Serve classes), `api` (the FastAPI app), `app` (build
and start the application), `auth`, `body_limit`, `metrics`, `sse`, `errors` (field-naming
422s), `loopback` (replica gRPC servers on 127.0.0.1 when the node is loopback-only).
"""
