"""``python -m cchc_rules``: the ``cchc`` command without the installed script."""

from cchc_rules.cli import main

main()
