"""The web UI's routes, gathered: the shell's (static files) and every page module's.

Each page module owns its router; relief/app.py includes this one and those of duty.py,
warehouse.py, subsidies.py, subsidy_office.py and ledgers.py.
"""

from __future__ import annotations

from fastapi import APIRouter

from relief.web import account, home, map_pages, shell

router = APIRouter(include_in_schema=False)
for part in (shell, account, home, map_pages):
    router.include_router(part.router)
