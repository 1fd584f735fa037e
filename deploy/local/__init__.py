"""The platform on this machine: the local stack (`deploy.local.stack`: GCS emulator and MLflow
server on PostgreSQL) and the A/B rehearsal (`deploy.local.ab`: two gunicorn servers behind
nginx), both started and stopped through `deploy.local.processes`."""
