"""Schools taking part in the Green School programme."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from greenapp.extensions import db
from greenapp.models.base import ScaledDecimal, TimestampMixin
from greenapp.models.place import COUNTRY_CURRENCY, COUNTRY_TIMEZONES, City

if TYPE_CHECKING:
    from greenapp.models.user import User

__all__ = ["COUNTRY_CURRENCY", "COUNTRY_TIMEZONES", "School", "SchoolTarget"]


class School(TimestampMixin, db.Model):
    """A school with its size, the date it joined and its coordinators."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    # The English name of city_ref, kept in step by models.place (older callers set it).
    city: Mapped[str] = mapped_column(String(80), index=True)
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"), index=True, default=None)
    country: Mapped[str] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    address: Mapped[str] = mapped_column(String(240), default="")
    pupils: Mapped[int] = mapped_column(default=0)
    joined_on: Mapped[date]
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Qyzylorda")

    city_ref: Mapped[City | None] = relationship(lazy="joined")
    coordinators: Mapped[list[User]] = relationship(back_populates="school")
    targets: Mapped[list[SchoolTarget]] = relationship(
        back_populates="school", cascade="all, delete-orphan"
    )

    def target_for(self, category: str) -> Decimal | None:
        """Return the yearly target for a category in canonical units, if set."""
        for target in self.targets:
            if target.category == category:
                return target.quantity
        return None

    @property
    def city_name(self) -> str:
        """The city's name in the interface language."""
        return self.city_ref.display_name if self.city_ref else self.city

    def __repr__(self) -> str:
        return f"<School {self.name}>"


class SchoolTarget(db.Model):
    """A school's yearly target for one category, in the category's canonical unit."""

    __tablename__ = "school_targets"
    __table_args__ = (UniqueConstraint("school_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(3))

    school: Mapped[School] = relationship(back_populates="targets")
