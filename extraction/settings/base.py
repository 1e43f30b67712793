"""The one way settings are read from the environment.

Every concern (limits, fetching, each engine, the model cache) declares a :class:`Settings`
subclass with its own env prefix and typed fields (``Literal`` for choices). Reading goes
through :func:`load_settings`, so a bad value always fails the same way: a
:class:`SettingsError` naming the environment variable and what it should be, instead of a
silent default. A blank variable counts as unset (the default applies), as before.
"""

from __future__ import annotations

import contextvars
import os
from typing import Any, Mapping, TypeVar

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

#: The mapping the next :func:`load_settings` reads instead of ``os.environ`` (tests, tools).
_ENVIRON: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar("settings_environ", default=None)

S = TypeVar("S", bound="Settings")

#: A variable whose name holds one of these never has its value echoed in an error.
_SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "API_KEY", "ACCESS_KEY")


class SettingsError(ValueError):
    """A setting in the environment has a value that cannot be used; the message names it."""


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' env source, reading a given mapping instead of ``os.environ``."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._mapping = dict(environ)
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # Values are stripped and blank ones dropped: `FOO= ` means "unset", as it always did.
        cleaned = {key: value.strip() for key, value in self._mapping.items() if value is not None and value.strip()}
        return cleaned if self.case_sensitive else {key.lower(): value for key, value in cleaned.items()}


class Settings(BaseSettings):
    """Base of every settings class: env only (no .env files), blank = unset, immutable."""

    # populate_by_name: a field read from an exact variable name (``validation_alias``) can still
    # be given by its field name in code, e.g. ``FetchSettings(allow_http=True)`` in tests.
    model_config = SettingsConfigDict(
        env_ignore_empty=True, extra="ignore", frozen=True, case_sensitive=False, populate_by_name=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        environ = _ENVIRON.get()
        return (init_settings, _MappingEnvSource(settings_cls, os.environ if environ is None else environ))

    @classmethod
    def env_name(cls, field_name: str) -> str:
        """The environment variable that sets ``field_name``."""
        info: FieldInfo = cls.model_fields[field_name]
        alias = info.validation_alias
        if isinstance(alias, str):
            return alias.upper()
        return f"{cls.model_config.get('env_prefix', '')}{field_name}".upper()


def load_settings(cls: type[S], environ: Mapping[str, str] | None = None, **overrides: Any) -> S:
    """``cls`` read from ``environ`` (default ``os.environ``); keyword overrides win over env.

    Raises :class:`SettingsError` naming every bad variable, e.g.
    ``RAPIDOCR_USE_CLS='maybe': Input should be a valid boolean``.
    """
    token = _ENVIRON.set(environ if environ is not None else None)
    try:
        return cls(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error.get("loc") else "?"
            name = cls.env_name(field) if field in cls.model_fields else field.upper()
            source = environ if environ is not None else os.environ
            in_env = field not in overrides and (name in source or name.lower() in source)
            got = source.get(name, source.get(name.lower())) if in_env else error.get("input")
            if any(word in name for word in _SECRET_WORDS):
                got = "***"
            where = f"environment variable {name}" if in_env else f"setting {name}"
            problems.append(f"{where}={got!r}: {error['msg']}")
        raise SettingsError("; ".join(problems)) from None
    finally:
        _ENVIRON.reset(token)
