"""Units, record sets and derived facts; imports the compiled ruleset and anything below it."""
