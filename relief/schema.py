"""Every domain's tables, imported so that SQLModel.metadata is complete (Alembic, tests)."""

from sqlmodel import SQLModel

from relief.audit import models as _audit  # noqa: F401
from relief.auth import models as _auth  # noqa: F401
from relief.idempotency import IdempotencyKey as _idem  # noqa: F401
from relief.network import models as _network  # noqa: F401

metadata = SQLModel.metadata
