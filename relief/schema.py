"""Every domain's tables, imported so that SQLModel.metadata is complete (Alembic, tests)."""

from sqlmodel import SQLModel

from relief.allocation import tables as _allocation  # noqa: F401
from relief.audit import models as _audit  # noqa: F401
from relief.auth import models as _auth  # noqa: F401
from relief.dispatch import models as _dispatch  # noqa: F401
from relief.distribution import models as _distribution  # noqa: F401
from relief.emergency import casualties as _casualties  # noqa: F401
from relief.emergency import models as _emergency  # noqa: F401
from relief.funds import models as _funds  # noqa: F401
from relief.idempotency import IdempotencyKey as _idem  # noqa: F401
from relief.network import models as _network  # noqa: F401
from relief.reserve import models as _reserve  # noqa: F401
from relief.stock import models as _stock  # noqa: F401
from relief.subsidies import models as _subsidies  # noqa: F401
from relief.subsidies import winter_models as _winter  # noqa: F401

metadata = SQLModel.metadata

# Tables that are in the database but not in the models: procrastinate's job queue (created
# by revision i16left_0001 on PostgreSQL, from procrastinate's own schema). Autogenerate and
# the models-vs-revisions test leave them alone.
FOREIGN_TABLE_PREFIX = "procrastinate_"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's `include_name`: everything but procrastinate's tables."""
    return not (type_ == "table" and name is not None and name.startswith(FOREIGN_TABLE_PREFIX))
