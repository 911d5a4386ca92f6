"""Rulesets, TOML to compiled form; imports only expressions, the plugin manager and API, errors."""
