"""The settings root: one base class for every package's environment settings, one loader, one
error format.

Each package keeps one small settings class of its own (its variables, its prefix), derived from
`PlatformSettings`, and reads it once at start-up with `ItsSettings.load()`. A bad value raises
`SettingsError` listing every bad variable by its environment name, the rule it broke and the
value given (credentials masked, secrets never shown), so every command reports configuration
mistakes the same way and exits 2.

Shared defaults are derived, not re-typed: the registered model's name is `TU_MODEL_NAME`
(`ModelSettings`), and the default model URI of serving, monitoring and batch scoring is its
`@production` alias (`contracts.model_uri.default_model_uri`).
"""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.redaction import redact

DEFAULT_MODEL_NAME = "ticket_urgency"


class SettingsError(ValueError):
    """One or more environment variables hold a value the command cannot run with."""


class PlatformSettings(BaseSettings):
    """The base of every settings class: an empty variable counts as unset, unknown variables are
    ignored, and the values cannot change once read."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", frozen=True,
                                      protected_namespaces=())

    settings_title: ClassVar[str] = "platform settings"
    secret_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def load(cls) -> Self:
        """Read and validate the environment; `SettingsError` names each bad variable."""
        try:
            return cls()
        except ValidationError as exc:
            raise SettingsError(describe_errors(exc, cls)) from None


def describe_errors(exc: ValidationError, settings: type[PlatformSettings]) -> str:
    """One line per bad variable, `NAME='value': rule` (`NAME: rule` for a secret), under a
    heading naming the settings; credentials inside any value are masked."""
    prefix = str(settings.model_config.get("env_prefix") or "")
    lines = [f"invalid {settings.settings_title}:"]
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "settings"
        shown = "" if field in settings.secret_fields else f"={redact(repr(error.get('input')))}"
        lines.append(f"  {prefix.upper()}{field.upper()}{shown}: {redact(error['msg'])}")
    return "\n".join(lines)


class ModelSettings(PlatformSettings):
    """Which registered model the platform trains, serves and watches (`TU_MODEL_NAME`)."""

    model_config = SettingsConfigDict(env_prefix="TU_")

    settings_title: ClassVar[str] = "model settings"

    model_name: str = Field(default=DEFAULT_MODEL_NAME, min_length=1,
                            pattern=r"^[^/@\s]+$")
