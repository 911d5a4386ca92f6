"""Scorecards and comparisons; imports scoring, inputs and the compiled ruleset, not loading."""
