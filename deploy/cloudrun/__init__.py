"""Google Cloud: the Cloud Run service and its batch job, built by Cloud Build.

- `build`: `make deploy`, cloudbuild.yaml submitted with every substitution explicit;
- `batch_job`: `make deploy-batch`, the batch image and its Cloud Run Job;
- `traffic`: the A/B target, traffic tags and splits through the Admin API;
- `infra`: `make deploy-infra` / `make deploy-telemetry`, Google Cloud as code (the MLflow
  tracking server, and the `telemetry` definitions) through the client libraries' typed requests;
- `settings`, `naming`, `client`: the service's coordinates, revision names, API clients;
- `images`, `deployments`: image references by digest only (tags refused), and the deployment
  records that give the image digest a model version was deployed with.

One revision serves exactly one model version: revisions are named `<service>-v<version>-<suffix>`
so that traffic can be read as "which model versions get how much".
"""
