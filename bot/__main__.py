"""``python -m bot`` is the ``haven`` command."""

from bot.cli import main

raise SystemExit(main())
