"""Telemetry of the Cloud Run service: prediction records to BigQuery, metrics, alerts, dashboard.

- `definitions/`: the resources as files in the APIs' own format (sink, log-based metrics, custom
  metric descriptors, alert policies, dashboard), templated only with the project, service,
  dataset and alert channels;
- `definitions.py`: loads and renders them (one `render`) and validates each against its API type
  (`kinds.py`);
- `settings.py`: `TELEMETRY_*`.

They are applied by `deploy.cloudrun.infra` (`make deploy-telemetry`).
"""
