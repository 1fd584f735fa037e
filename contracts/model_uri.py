"""Registry model URIs, parsed one way: `models:/NAME@ALIAS` and `models:/NAME/VERSION`.

Serving, monitoring, batch scoring, the registry tools and the deploy targets all accept these two
forms (and, where they say so, a run URI or a local folder), and all resolve an alias to a version
once, so that one process never mixes two versions. The default URI everywhere is the
`@production` alias of `TU_MODEL_NAME`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contracts.settings import ModelSettings

PRODUCTION = "production"
CHALLENGER = "challenger"
SCHEME = "models:/"
REGISTRY_URI_PATTERN = r"^models:/[^/@]+(@[^/@]+|/\d+)$"
_ALIAS_URI = re.compile(r"^models:/(?P<name>[^/@]+)@(?P<alias>[^/@]+)$")
_VERSION_URI = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")


@dataclass(frozen=True)
class RegistryReference:
    """A registered model and either an alias or a version number of it."""

    name: str
    alias: str | None = None
    version: str | None = None

    @property
    def uri(self) -> str:
        """The reference written back as a `models:/` URI."""
        return alias_uri(self.name, self.alias) if self.alias else version_uri(
            self.name, str(self.version))


def parse_model_uri(uri: str) -> RegistryReference | None:
    """The registry reference a URI names, or None when it is not a registry URI (a run URI, a
    folder, or a malformed `models:/` URI)."""
    if match := _ALIAS_URI.match(uri):
        return RegistryReference(match["name"], alias=match["alias"])
    if match := _VERSION_URI.match(uri):
        return RegistryReference(match["name"], version=match["version"])
    return None


def is_registry_uri(uri: str) -> bool:
    """Whether `uri` uses the `models:/` scheme at all (well-formed or not)."""
    return uri.startswith(SCHEME)


def alias_uri(name: str, alias: str) -> str:
    """`models:/NAME@ALIAS`."""
    return f"{SCHEME}{name}@{alias}"


def version_uri(name: str, version: str | int) -> str:
    """`models:/NAME/VERSION`: the pinned form every alias is resolved to."""
    return f"{SCHEME}{name}/{version}"


def default_model_uri() -> str:
    """`models:/<TU_MODEL_NAME>@production`: what serving, monitoring and batch scoring use
    when no model URI is given."""
    return alias_uri(ModelSettings.load().model_name, PRODUCTION)
