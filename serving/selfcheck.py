"""Load the model once, print what would be served, and exit 1 if it cannot be loaded.

The Dockerfile runs it when a model is baked in, so a broken bake fails the build, not the deploy;
operators run it to check a URI:  MODEL_URI=models:/NAME/3 python -m serving.selfcheck
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from contracts.redaction import redact
from serving.model_loader import describe, load
from serving.settings import ServingSettings


def main(argv: list[str] | None = None) -> int:
    """Load, print the metadata as JSON; exit 1 on failure or on an unexpected version."""
    parser = argparse.ArgumentParser(prog="python -m serving.selfcheck", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-uri", default=os.environ.get("MODEL_URI") or
                        ServingSettings.model_fields["model_uri"].default,
                        help="default: MODEL_URI, else %(default)s")
    parser.add_argument("--expect-version", help="fail unless this registry version loads")
    args = parser.parse_args(argv)
    try:
        loaded = load(args.model_uri)
    except Exception as exc:  # a CLI: report any failure as one line and a non-zero exit
        print(redact(f"error: cannot load {args.model_uri}: {exc}"), file=sys.stderr)
        return 1
    print(json.dumps(describe(loaded), indent=2))
    if args.expect_version and loaded.identity.version != args.expect_version:
        print(redact(f"error: {args.model_uri} is version {loaded.identity.version}, "
                     f"expected {args.expect_version}"), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
