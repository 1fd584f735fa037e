"""`python -m deploy.cloudrun.telemetry`: see `deploy.cloudrun.telemetry.cli`."""

import sys

from deploy.cloudrun.telemetry.cli import main

sys.exit(main())
