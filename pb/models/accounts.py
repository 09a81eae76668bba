"""Accounts: users, their roles and the record of login attempts."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.extensions import db
from pb.models.types import UtcDateTime, text_enum, utcnow


class Role(str, enum.Enum):
    RESIDENT = "resident"
    MODERATOR = "moderator"
    ADMINISTRATOR = "administrator"
    AUDITOR = "auditor"


class User(db.Model):
    """A person with an account. Holds only what eligibility needs, nothing more."""

    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint("year_of_birth IS NULL OR year_of_birth BETWEEN 1900 AND 2100", name="year_of_birth"),
        sa.CheckConstraint("grade IS NULL OR grade BETWEEN 1 AND 13", name="grade"),
        sa.CheckConstraint("preferred_language IS NULL OR preferred_language IN ('fi', 'sv', 'en')", name="language"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Always stored in lower case, so that uniqueness ignores case.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    #: argon2id hash in PHC string format (parameters included, so they can be upgraded).
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_verified: Mapped[bool] = mapped_column(default=False)
    year_of_birth: Mapped[int | None] = mapped_column(sa.SmallInteger)
    #: Code of the home area (e.g. ``suur-tapiola``), one of the configured HOME_AREAS.
    home_area: Mapped[str | None] = mapped_column(sa.String(40))
    school: Mapped[str | None] = mapped_column(sa.String(120))
    #: School grade (youth rounds: 7–9).
    grade: Mapped[int | None] = mapped_column(sa.SmallInteger)
    #: fi, sv or en; None lets the browser's language decide.
    preferred_language: Mapped[str | None] = mapped_column(sa.String(2))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="RoleAssignment.user_id",
        lazy="selectin",
    )

    def has_role(self, *names: str | Role) -> bool:
        """True when the user holds any of the named roles."""
        wanted = {Role(name) for name in names}
        return any(assignment.role in wanted for assignment in self.roles)

    @property
    def role_names(self) -> list[str]:
        return sorted(assignment.role.value for assignment in self.roles)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class RoleAssignment(db.Model):
    """One role held by one user, and who granted it."""

    __tablename__ = "role_assignment"
    __table_args__ = (sa.UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(text_enum(Role, "role"))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: The administrator who granted it; None for the command line and registration.
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])


class LoginAttempt(db.Model):
    """One login attempt, kept for a day to slow down password guessing per account and per
    address."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        sa.Index("ix_login_attempt_email_attempted_at", "email", "attempted_at"),
        sa.Index("ix_login_attempt_address_attempted_at", "address", "attempted_at"),
        sa.Index("ix_login_attempt_attempted_at", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The email as typed (lower case), whether or not such an account exists.
    email: Mapped[str] = mapped_column(sa.String(254))
    #: The client's IP address.
    address: Mapped[str] = mapped_column(sa.String(45))
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    is_success: Mapped[bool] = mapped_column(default=False)
