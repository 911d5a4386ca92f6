"""One writer per output format, atomic output; imports results, ruleset diffs, and below."""
