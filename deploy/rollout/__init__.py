"""Rollouts that check themselves, one code path for Cloud Run and the local rehearsal.

A new revision first gets no traffic under a tag; a smoke test on its tag URL must pass
(`smoke`, with the key and ID tokens of `credentials`); then traffic moves in steps
(`ROLLOUT_STEPS`) while an observer (`observers`: the rehearsal's nginx access log, or
`cloud_monitoring` for Cloud Run) watches its 5xx rate and p99 latency; a breach sends all
traffic back to the previous revision (`runner`). The traffic plans and the breach rule are pure
(`plan`); `python -m deploy.rollout` is the command (`cli`), with a `--dry-run` that calls
nothing and prints every command and query (`dry_run`).
"""
