"""`registry-tools`: the people's commands over the MLflow model registry.

`status`, `history` and `verdict` read it; `promote` (through the gate), `rollback` and `compare`
move or judge versions; `ab` runs an A/B test of the challenger against production on a deploy
target (Cloud Run traffic tags or the local rehearsal). `ab` drives deploy targets, so it lives in
`deploy.ab` (its registry half here, in `registry_tools.ab`) and `deploy.registry_tools_cli`
assembles the console script: this package never imports `deploy`. The registry's rules
themselves (gate, lock, audit trail, alias moves) live in `mlflow_project.registry`, so training
and these commands apply the same ones.
"""
