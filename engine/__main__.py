from __future__ import annotations

from interlock.commands.cli import main

raise SystemExit(main())
