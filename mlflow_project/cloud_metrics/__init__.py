"""Custom metrics in Cloud Monitoring: what the monitoring and training jobs report there.

`names` holds every metric type and label key (the one place they are spelt in code), `points`
the plain points a job produces and their `monitoring_v3.TimeSeries` form, `settings` whether
and where they are sent (`TU_CLOUD_METRICS_*`), and `writer` the one edge that calls
`MetricServiceClient.create_time_series`. Their descriptors and the alert policies on them are
files in `deploy/cloudrun/telemetry/definitions/` (`descriptors/`, `alerts/`).
"""
