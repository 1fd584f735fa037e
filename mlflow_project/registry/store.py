"""Registry reads and writes: find versions, tag them, point an alias (audited: `moves`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from contracts.model_uri import parse_model_uri
from mlflow_project.registry import description, naming

log = logging.getLogger(__name__)


def version_by_alias(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version an alias points at, or None when the alias (or the model) does not exist."""
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise


def resolve_version(client: MlflowClient, model_uri: str) -> ModelVersion | None:
    """The registry version behind `models:/NAME@ALIAS` or `models:/NAME/VERSION`, else None."""
    reference = parse_model_uri(model_uri)
    if reference is None:
        return None
    if reference.alias is not None:
        return version_by_alias(client, reference.name, reference.alias)
    return client.get_model_version(reference.name, str(reference.version))


def version_with_fingerprint(client: MlflowClient, name: str,
                             fingerprint: str) -> ModelVersion | None:
    """The first complete version trained from the same data, code and parameters, if any.

    A version whose training never completed (killed between registering it and nominating it:
    still tagged `training_status=registering`) does not count, so the next run with the same
    inputs registers, gates and nominates a fresh version instead of taking the interrupted one
    for its result.
    """
    found = client.search_model_versions(
        f"name = '{name}' and tags.{naming.TAG_FINGERPRINT} = '{fingerprint}'")
    interrupted = [v for v in found if _training_interrupted(v)]
    if interrupted:
        log.warning("version(s) %s of %s with the same inputs never completed their training; "
                    "they do not count", ", ".join(sorted(str(v.version) for v in interrupted)),
                    name)
    complete = [v for v in found if not _training_interrupted(v)]
    return min(complete, key=lambda v: int(v.version)) if complete else None


def _training_interrupted(version: ModelVersion) -> bool:
    """Whether the training that registered `version` stopped before completing it."""
    return version.tags.get(naming.TAG_TRAINING_STATUS) == naming.TRAINING_REGISTERING


def tag_version(client: MlflowClient, name: str, version: str,
                tags: Mapping[str, object]) -> None:
    """Set several tags on one model version (values are stored as strings)."""
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, str(value))


def move_alias(client: MlflowClient, name: str, alias: str, version: str, *, actor: str,
               reason: str) -> str | None:
    """Point `alias` at `version`, saying who, when and why in the versions' descriptions.

    Returns the previous version (None if the alias was unset). The version's description is
    written before the alias moves, so an alias never points at a version that does not say
    how it got there; the previous version's says where the alias went. This is the unlocked,
    unaudited step of `registry.moves.move_alias`, which every move of the platform goes
    through (under the registry lock, with an audit entry); call it directly only to seed a
    test or benchmark registry.
    """
    previous = version_by_alias(client, name, alias)
    previous_version = str(previous.version) if previous else None
    section = description.alias_section(alias)
    was = f" (was v{previous_version})" if previous_version else ""
    description.set_section(client, name, version, section,
                            description.move_text(f"@{alias} set{was}", actor, reason))
    client.set_registered_model_alias(name, alias, version)
    if previous_version not in (None, version):
        description.set_section(client, name, previous_version, section, description.move_text(
            f"@{alias} moved on to v{version}", actor, reason))
    return previous_version
