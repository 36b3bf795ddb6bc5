"""Users, roles and scopes (tables and API schemas)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PField
from sqlalchemy import JSON, CheckConstraint, Column
from sqlmodel import Field, SQLModel

from relief.clock import now
from relief.db import UTCDateTime

ROLES = (
    "admin",
    "duty_officer",
    "warehouse_manager",
    "county_staff",
    "approver",
    "township_staff",
)


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role in ('admin','duty_officer','warehouse_manager','county_staff','approver',"
            "'township_staff')",
            name="ck_users_role",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    password_hash: str
    role: str = Field(max_length=32)
    warehouse_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    region_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    display_name: str | None = None
    # Who to call: the duty officer sees these for the people a response involves.
    full_name: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    active: bool = True
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    # Every token carries the version it was issued under (`sv`); raising it revokes them
    # all: sign-out, password change or reset, disabling.
    session_version: int = 0
    # Set for passwords someone else saw (demo, admin reset): the user must choose their own
    # before doing anything else.
    must_change_password: bool = False


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins per account (`account:NAME`) or client address (`address:HOST`), kept
    in the database so that every worker process sees the same count and lock."""

    __tablename__ = "sign_in_throttles"

    key: str = Field(primary_key=True, max_length=200)
    failures: int = 0
    first_failure_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserCreate(BaseModel):
    username: str = PField(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = PField(min_length=1, max_length=256)  # policy: service.check_password
    role: str
    warehouse_codes: list[str] = []
    region_codes: list[str] = []
    display_name: str | None = None
    full_name: str | None = PField(default=None, min_length=1, max_length=64)
    # Digits with an optional leading +, spaces and dashes (0471-1234567, 138 0000 0000).
    phone: str | None = PField(default=None, max_length=32, pattern=r"^\+?[0-9][0-9 \-]{2,30}$")
    # Whether the user must choose a new password at first sign-in (set it when the
    # password is sent to them by someone else).
    must_change_password: bool = False

    @field_validator("role")
    @classmethod
    def _role_known(cls, value: str) -> str:
        if value not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        return value


class UserUpdate(BaseModel):
    """An admin's change of a user's name and phone (the fields given; null clears one)."""

    model_config = ConfigDict(extra="forbid")

    full_name: str | None = PField(default=None, min_length=1, max_length=64)
    phone: str | None = PField(default=None, max_length=32, pattern=r"^\+?[0-9][0-9 \-]{2,30}$")


class UserOut(BaseModel):
    username: str
    role: str
    warehouse_codes: list[str]
    region_codes: list[str]
    full_name: str | None = None
    phone: str | None = None


class UserStatus(UserOut):
    """A user as an admin action (disable, enable) leaves it."""

    active: bool
    must_change_password: bool


class OneTimePassword(BaseModel):
    """The reply to a password reset: shown once, to be changed at first sign-in."""

    username: str
    one_time_password: str


class PasswordChange(BaseModel):
    current_password: str = PField(max_length=256)
    new_password: str = PField(max_length=256)


class SignedOut(BaseModel):
    status: str = "signed_out"


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Actor(BaseModel):
    """Who is acting: the authenticated user, or the system (CLI, scenario loader)."""

    model_config = {"frozen": True}

    username: str
    role: str
    warehouse_codes: tuple[str, ...] = ()
    region_codes: tuple[str, ...] = ()
    # The person's name for the page header (姓名); left out of dumps (audit, tokens).
    full_name: str | None = PField(default=None, exclude=True)

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(
            username=user.username,
            role=user.role,
            warehouse_codes=tuple(user.warehouse_codes or ()),
            region_codes=tuple(user.region_codes or ()),
            full_name=user.full_name or None,
        )

    @property
    def name(self) -> str:
        """What a page calls the signed-in user: the full name, else the username."""
        return (self.full_name or "").strip() or self.username


SYSTEM = Actor(username="system", role="admin")
