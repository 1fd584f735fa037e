"""Download one registered model version into a folder, with the `registry.json` serving reads.

Run in CI before `docker build`, so the image carries exactly one model version and a running
container never needs the registry (see `serving/README.md`, "Baking a model into the image"):

    python -m serving.bake_model --model-uri models:/NAME@production --out serving/model

An alias is resolved to a version once, and that version is downloaded, so the folder cannot mix
two versions. The version is printed on stdout (for `--build-arg MODEL_VERSION=...`).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from contracts.model_uri import default_model_uri, parse_model_uri
from contracts.redaction import redact
from serving.model_loader import REGISTRY_RECORD, RegistryRecord, resolve


def bake(model_uri: str, out: Path) -> RegistryRecord:
    """Download the version behind `model_uri` into `out` (new or empty) and describe it there."""
    import mlflow.artifacts

    if out.exists() and any(p.name != ".gitkeep" for p in out.iterdir()):
        raise ValueError(f"{out} is not empty: bake into a new or empty folder")
    reference = parse_model_uri(model_uri)
    if reference is None:
        raise ValueError(f"{model_uri} is not a registry URI (models:/NAME@ALIAS or "
                         "models:/NAME/VERSION)")
    identity = resolve(model_uri)  # a registry URI always resolves to a version
    out.mkdir(parents=True, exist_ok=True)
    mlflow.artifacts.download_artifacts(artifact_uri=identity.resolved_uri, dst_path=str(out))
    record = RegistryRecord(name=reference.name, version=str(identity.version),
                            run_id=identity.run_id, alias=identity.alias, source_uri=model_uri,
                            downloaded_at=datetime.now(UTC).isoformat(timespec="seconds"))
    (out / REGISTRY_RECORD).write_text(record.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return record


def main(argv: list[str] | None = None) -> int:
    """CLI entry: bake, print the version; exit 1 with a one-line reason on failure."""
    parser = argparse.ArgumentParser(prog="python -m serving.bake_model", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-uri",
                        help="registry URI to bake (default: models:/<TU_MODEL_NAME>@production)")
    parser.add_argument("--out", type=Path, default=Path("serving/model"),
                        help="folder to download into; must be new or empty "
                             "(default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        args.model_uri = args.model_uri or default_model_uri()
        record = bake(args.model_uri, args.out)
    except Exception as exc:  # a CLI: report any failure as one line and a non-zero exit
        print(redact(f"error: cannot bake {args.model_uri}: {exc}"), file=sys.stderr)
        return 1
    print(record.version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
