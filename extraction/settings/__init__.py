"""Settings read from the environment: one class per concern, one loader (see ``base``)."""

from extraction.settings.base import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "load_settings"]
