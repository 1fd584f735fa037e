"""The real stack on one machine: a GCS emulator and an MLflow tracking server on PostgreSQL.

`local-stack up|down|status` (or `make stack-up|stack-down|stack-status`) runs them on loopback
with logs and pid files in a gitignored run folder. `docker-compose.yml` at the repository root is
the same stack for people who have Docker.
"""
