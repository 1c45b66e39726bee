"""The duty roster (值班时间, AB岗) in force: the config file's, changed at run time by an admin.

The config names each grid's worker and AB岗 backup and each worker's duty hours; the admin page
(bot/web/admin_staff.py) may change a grid's backup and a person's duty hours. Those changes are
`duty_overrides` rows (the config value is the default), each logged in `admin_changes`, and read back
through `roster(session, config)`: the one place every decision about "who is on duty, who covers"
asks (urgent alerts, 督办 ladders, who may handle a grid's need). It reads the database each time (a
handful of rows), so a change counts from the next message or tick, in every process, no restart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.config import Config, GridConfig
from kernel.config_reader import Invalid, parse_hours
from kernel.identity import Person, Role
from kernel.settings import Hours
from kernel.workhours import on_duty
from models.access import Scope, scope_of
from models.admin_log import StaffError, log_change
from models.base import Base
from models.people import all_bindings

ALWAYS = "always"          # a duty override meaning "on duty around the clock" (config: no duty key)
NOBODY = ""                # a backup override meaning "no AB岗 for this grid"


# ---------------------------------------------------------------- tables

class DutyOverride(Base):
    """A run-time change of the config's duty roster. kind "backup": subject is a grid number, value the
    backup's contact id ("" = nobody); kind "duty": subject is a contact id, value "08:00-20:00" or
    "always"."""

    __tablename__ = "duty_overrides"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime]
    changed_by: Mapped[str] = mapped_column(String(64))


# ---------------------------------------------------------------- the roster

@dataclass(frozen=True)
class Roster:
    """The duty roster in force: the config's, with the run-time overrides applied."""

    config: Config
    backups: dict[int, str | None] = field(default_factory=dict)     # grid → backup (None: nobody)
    duties: dict[str, Hours | None] = field(default_factory=dict)    # contact id → duty hours (None: always)

    def backup_of(self, grid: int | None) -> str | None:
        if grid is None:
            return None
        if grid in self.backups:
            return self.backups[grid]
        g = self.config.grid_by_number(grid)
        return g.backup if g is not None else None

    def grids_backed_by(self, person: str | None) -> frozenset[int]:
        """The grids whose AB岗 backup this person is (they may act on those grids' needs, so they see them)."""
        if not person:
            return frozenset()
        return frozenset(g.number for g in self.config.grids
                         if self.backup_of(g.number) == person and g.worker != person)

    def duty_of(self, person: str | None) -> Hours | None:
        if person in self.duties:
            return self.duties[person]
        p = next((p for p in (*self.config.workers, *self.config.admins) if p.id == person), None)
        return p.duty if p is not None else None

    def on_duty(self, person: str | None, now: datetime) -> bool:
        return on_duty(self.duty_of(person), now, self.config.timezone)

    def covering(self, grid: int | None, now: datetime) -> str | None:
        """Who is told of an urgent need of the grid besides its worker: the backup while the worker is
        off duty (and the backup is someone else)."""
        g = self.config.grid_by_number(grid)
        backup = self.backup_of(grid)
        if g is None or not backup or backup == g.worker or self.on_duty(g.worker, now):
            return None
        return backup


def config_roster(config: Config) -> Roster:
    """The config's roster alone (callers without a database session)."""
    return Roster(config)


async def roster(session: AsyncSession, config: Config) -> Roster:
    """The roster in force now: every decision about duty and AB岗 reads it here."""
    backups: dict[int, str | None] = {}
    duties: dict[str, Hours | None] = {}
    for row in (await session.scalars(select(DutyOverride))).all():
        if row.kind == "backup" and row.subject.isdigit():
            backups[int(row.subject)] = row.value or None
        elif row.kind == "duty":
            duties[row.subject] = None if row.value == ALWAYS else parse_hours(row.value, wrap=True)
    return Roster(config, backups, duties)


async def scope_for(session: AsyncSession, config: Config, person: Person) -> Scope:
    """What this person may see (models/access), with the grids they back up in the roster in force."""
    if person.role != Role.WORKER:
        return scope_of(person)
    return scope_of(person, (await roster(session, config)).grids_backed_by(person.id))


def _hours_text(h: Hours | None) -> str:
    return "全天" if h is None else str(h)


async def _override(session: AsyncSession, now: datetime, kind: str, subject: str, value: str, actor: str) -> None:
    row = await session.get(DutyOverride, (kind, subject))
    if row is None:
        session.add(DutyOverride(kind=kind, subject=subject, value=value, changed_at=now, changed_by=actor))
    else:
        row.value, row.changed_at, row.changed_by = value, now, actor


async def staff_choices(session: AsyncSession, config: Config) -> dict[str, str]:
    """Who may be an AB岗 backup: the config's workers and admins, and contacts bound as staff (contact id → name)."""
    people = {p.id: p.name for p in (*config.workers, *config.admins)}
    for b in await all_bindings(session):
        if b.role in (Role.WORKER, Role.ADMIN):
            people.setdefault(b.contact_id, b.name)
    return people


async def set_backup(session: AsyncSession, now: datetime, config: Config, grid: int, backup: str | None, *,
                     actor: str) -> Roster:
    """Make `backup` (a contact id; None or "" for nobody) the grid's AB岗 from now on."""
    g = config.grid_by_number(grid)
    if g is None:
        raise StaffError("no_grid", grid=grid)
    backup = (backup or "").strip() or None
    if backup is not None:
        if backup == g.worker:
            raise StaffError("backup_is_worker", grid=grid)
        choices = await staff_choices(session, config)
        if backup not in choices:
            raise StaffError("bad_backup", who=backup)
    before = await roster(session, config)
    old = before.backup_of(grid)
    if old != backup:
        await _override(session, now, "backup", str(grid), backup or NOBODY, actor)
        log_change(session, now, actor, "backup", str(grid), old, backup)
    return await roster(session, config)


def parse_duty(text: str | None) -> Hours | None:
    """"08:00-20:00" (may wrap midnight) or blank / 全天 / always for around the clock."""
    text = (text or "").strip()
    if text in ("", "全天", ALWAYS, "24小时"):
        return None
    try:
        return parse_hours(text, wrap=True)
    except Invalid as exc:
        raise StaffError("bad_hours", why=exc.zh) from None


async def set_duty(session: AsyncSession, now: datetime, config: Config, person: str, hours: Hours | None, *,
                   actor: str) -> Roster:
    """The person's duty hours from now on (None: always on duty)."""
    if person not in await staff_choices(session, config):
        raise StaffError("no_person", who=person)
    before = await roster(session, config)
    old = before.duty_of(person)
    if old != hours:
        await _override(session, now, "duty", person, ALWAYS if hours is None else str(hours), actor)
        log_change(session, now, actor, "duty", person, _hours_text(old), _hours_text(hours))
    return await roster(session, config)


@dataclass(frozen=True)
class GridDuty:
    """One line of the duty table: a grid, its worker and their hours, its backup now."""

    grid: GridConfig
    worker: str
    worker_name: str
    duty: Hours | None
    backup: str | None
    backup_name: str | None
    on_duty: bool
    overridden: bool          # differs from the config file


async def duty_table(session: AsyncSession, config: Config, now: datetime) -> list[GridDuty]:
    r = await roster(session, config)
    names = await staff_choices(session, config)
    out = []
    for g in config.grids:
        backup = r.backup_of(g.number)
        overridden = g.number in r.backups or g.worker in r.duties
        out.append(GridDuty(g, g.worker, names.get(g.worker, g.worker), r.duty_of(g.worker), backup,
                            names.get(backup, backup) if backup else None, r.on_duty(g.worker, now), overridden))
    return out
