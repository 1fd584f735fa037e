"""The platform's Google Cloud as code, applied through the Google client libraries' typed
requests (Terraform cannot run here: no binary in our package sources, and its Google provider
comes from registry.terraform.io, which neither these machines nor CI can reach).

- `tracking.py`: the MLflow tracking server (Cloud Run, Cloud SQL, bucket, secrets), as typed
  messages built from `settings.py` (`TRACKING_*`); the telemetry is the definition files of
  `deploy/cloudrun/telemetry/`;
- `state.py`: reads what exists; `compare.py`: does a resource match its definition;
- `plan.py`: the pure planner, the calls (`calls.py`) that create or update; `executor.py`:
  sends them, round after round, until nothing differs; `clients.py`: one client per API;
- `cli.py` (`python -m deploy.cloudrun.infra`, `make deploy-infra`, `make deploy-telemetry`).
"""
