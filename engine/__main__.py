from __future__ import annotations

from interlock.cli import main

raise SystemExit(main())
