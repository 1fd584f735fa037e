"""`python -m demo`: the demo data commands (`demo.cli`)."""

from demo.cli import main

main()
