"""Search served over HTTP by Ray Serve.

By default one `SearchServer` deployment, whose single replica serves the FastAPI app (typed
requests, auth, size and budget limits from `serve.limits`, metrics, server-sent progress) and
runs the searches over the actor pools (policy, env and RM replicas of a `SearchStack`) it
owns: a request makes one hop from Serve's proxy. Model replicas scale with `policy.replicas` /
`reward.replicas`, not with HTTP load. Only if `serve.autoscaling` lets the HTTP layer scale
does the app split into an autoscaled `SearchIngress` in front of one `SearchBackend` that
owns the pools (responses cross that hop as JSON bytes).

Modules: `schemas` (request/response models), `limits` (budget caps of `serve.limits` ->
422), `catalog` (task and env lookup), `observer` (progress events + env release on
cancellation), `reward_switch` (RM checkpoint swap with draining), `runner` (one search per
request), `service` (the search logic, no Serve), `deployments` (the Serve classes), `api`
(the FastAPI app), `app` (build and start the application), `auth`, `body_limit`, `metrics`,
`sse`, `errors` (field-naming 422s), `loopback` (replica gRPC servers on 127.0.0.1 when the
node is loopback-only), `proxy_errors` (run in Serve's proxy: a 503 with Retry-After, not a
bare 500, for a request whose replica died), `haproxy_ingress` (`serve.runtime.ingress`, auto:
Ray's HAProxy ingress where its binary is found, with its listeners on `serve.host`, the same
retryable 503, and an answer for every request).
"""
