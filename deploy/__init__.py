"""Every place the platform runs, one wing: Google Cloud (`deploy.cloudrun`: Cloud Build, the Cloud
Run service and its traffic tags, the batch Cloud Run Job) or this machine (`deploy.local`: the
local stack of GCS emulator and MLflow server, and the A/B rehearsal behind nginx).

`deploy.targets` is what the A/B commands (`deploy.ab`) and rollouts (`deploy.rollout`: tag,
smoke test, watched traffic steps, rollback) need of either target. This package is the top
layer: it may import `registry_tools`, `mlflow_project`, `serving`, `demo` and `contracts`, and
none of them imports it (`make lint` checks the layers with import-linter).
"""
