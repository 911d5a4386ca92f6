"""The engine, built-in kinds, aggregation; imports inputs and the compiled ruleset, not loading."""
