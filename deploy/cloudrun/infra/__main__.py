"""`python -m deploy.cloudrun.infra`: see `deploy.cloudrun.infra.cli`."""

from deploy.cloudrun.infra.cli import run

run()
