"""`python -m deploy.rollout`: see `deploy.rollout.cli`."""

from deploy.rollout.cli import main

main()
