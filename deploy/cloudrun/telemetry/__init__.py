"""Telemetry of the Cloud Run service: prediction records to BigQuery, metrics, alerts, dashboard.

- `definitions/`: the resources as files in the APIs' own format (sink, log-based metrics, alert
  policies, dashboard), templated only with the project, service, dataset and alert channels;
- `definitions.py`: loads and renders them (one `render`) and validates each against its API type
  (`kinds.py`);
- `state.py`: the read commands and what their results say; `compare.py`: does a resource match;
- `plan.py`: the pure planner, what to create or update; `executor.py`: runs reads and writes;
- `cli.py` (`python -m deploy.cloudrun.telemetry`, `make deploy-telemetry`): the command;
- `settings.py`: `TELEMETRY_*`.
"""
