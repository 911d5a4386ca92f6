"""Rulesets, TOML to compiled form; imports only expressions, plugins and their API, diagnostics."""
