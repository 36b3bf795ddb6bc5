"""The subsidy tests' small world (呼和浩特, two counties, townships, users of each role)."""

from tests.subsidies.conftest import rebuild, register, world  # noqa: F401
