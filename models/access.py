"""Who may see which need — the one rule for chat (查, 待办 and the other staff views) and the web inbox
(need page, API, list, exports), so a department that the web refuses cannot read the same need in chat.

* admin (社区管理员/书记) and a read-only viewer: every need (a viewer's page masks personal data);
* grid worker: the needs of their grid, of the grids they are AB岗 backup for (they may act on those:
  models/needs.may_handle), and any need they hold;
* department (科室): the needs handed to that department;
* a resident: no staff view at all (their own needs are read with 查 through models/needs.status_for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, or_

from kernel.identity import Person, Role
from models.base import Base

# The web's role words (models/inbox.WebRole is a StrEnum over the same strings).
ADMIN, WORKER, DEPARTMENT, VIEWER, NOBODY = "admin", "worker", "department", "viewer", "nobody"


@dataclass(frozen=True)
class Scope:
    """What one person may see: a role plus the grid / department / contact id it is tied to."""

    role: str
    grid: int | None = None
    department: str | None = None
    contact_id: str | None = None
    covers: frozenset[int] = field(default_factory=frozenset)   # grids this worker is AB岗 backup for

    def clause(self) -> ColumnElement[bool] | None:
        return visible_clause(self)

    def sees(self, *, grid: int | None, department: str | None, assignee: str | None) -> bool:
        return _sees(self, grid, department, assignee)

    def sees_suggestion(self, grid: int | None) -> bool:
        if self.role == ADMIN:
            return True
        return self.role == WORKER and grid is not None and (grid == self.grid or grid in self.covers)


def scope_of(person: Person, covers: frozenset[int] = frozenset()) -> Scope:
    """The scope of someone writing in chat (the web builds the same Scope from its user's ref);
    `covers`: the grids a worker backs up (models/duty.scope_for reads them from the roster)."""
    if person.role == Role.ADMIN:
        return Scope(ADMIN, contact_id=person.id)
    if person.role == Role.WORKER:
        return Scope(WORKER, grid=person.grid, contact_id=person.id, covers=covers)
    if person.role == Role.DEPARTMENT:
        return Scope(DEPARTMENT, department=person.department, contact_id=person.id)
    return Scope(NOBODY, contact_id=person.id)


def _sees(scope: Scope, grid: int | None, department: str | None, assignee: str | None) -> bool:
    if scope.role == WORKER:
        return ((grid is not None and (grid == scope.grid or grid in scope.covers))
                or (bool(scope.contact_id) and assignee == scope.contact_id))
    if scope.role == DEPARTMENT:
        return scope.department is not None and department == scope.department
    return scope.role in (ADMIN, VIEWER)


def may_see(who: Scope | Person, need: Any) -> bool:
    """May this person (a chat Person or a web Scope) read this need's details?"""
    scope = who if isinstance(who, Scope) else scope_of(who)
    return _sees(scope, need.grid, need.department, need.assignee)


def visible_clause(who: Scope | Person) -> ColumnElement[bool] | None:
    """The same rule as a WHERE clause over needs, for lists (None: no restriction)."""
    need = Base.metadata.tables["needs"].c     # the table, not the class: models.needs imports this module
    scope = who if isinstance(who, Scope) else scope_of(who)
    if scope.role == WORKER:
        parts = []
        grids = {scope.grid, *scope.covers} - {None}
        if grids:
            parts.append(need.grid.in_(sorted(grids)) if len(grids) > 1 else need.grid == next(iter(grids)))
        if scope.contact_id:
            parts.append(need.assignee == scope.contact_id)
        return or_(*parts) if parts else false()
    if scope.role == DEPARTMENT:
        return need.department == scope.department if scope.department else false()
    if scope.role in (ADMIN, VIEWER):
        return None
    return false()
