"""Every place the platform runs, one wing: Google Cloud (`deploy.cloudrun`: Cloud Build, the Cloud
Run service and its traffic tags, the batch Cloud Run Job) or this machine (`deploy.local`: the
local stack of GCS emulator and MLflow server, and the A/B rehearsal behind nginx).

`deploy.targets` is what the A/B commands (`registry_tools.ab`) and rollouts (`deploy.rollout`:
tag, smoke test, watched traffic steps, rollback) need of either target.
"""
