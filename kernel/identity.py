"""Resolving who sent a message: resident, grid worker, admin or department staff.

Built from the config plus the role bindings table, held in memory: the router asks on every message,
and chatter must not cost a database read."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from collections.abc import Iterable
from typing import Protocol

from kernel.config import Config


class Binding(Protocol):
    """A role binding as stored (models.people.RoleBinding): who was bound to which role."""

    contact_id: str
    name: str
    role: str
    ref: str | None


class Role(StrEnum):
    RESIDENT = "resident"
    WORKER = "worker"
    ADMIN = "admin"
    DEPARTMENT = "department"


STAFF = frozenset({Role.WORKER, Role.ADMIN})
_STAFF_WORDS = ("网格员", "书记", "社区工作人员")   # titles only staff should wear in a display name
RESIDENT_TAG = "(居民)"
DEPARTMENT_STAFF = frozenset({Role.DEPARTMENT})


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    role: Role
    grid: int | None = None          # workers: the grid they look after
    department: str | None = None    # department staff: which department

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF


class Directory:
    def __init__(self, config: Config) -> None:
        self._config = config
        self._people: dict[str, Person] = {}
        self.reload([])

    def reload(self, bindings: Iterable[Binding]) -> None:
        people: dict[str, Person] = {}
        for b in bindings:
            grid = int(b.ref) if b.role == Role.WORKER and b.ref and b.ref.isdigit() else None
            dept = b.ref if b.role == Role.DEPARTMENT else None
            people[b.contact_id] = Person(b.contact_id, b.name, Role(b.role), grid, dept)
        # The config wins over bindings: it is what the operator wrote down.
        for w in self._config.workers:
            people[w.id] = Person(w.id, w.name, Role.WORKER, w.grid)
        for a in self._config.admins:
            people[a.id] = Person(a.id, a.name, Role.ADMIN)
        for d in self._config.departments:
            people[d.contact_id] = Person(d.contact_id, d.name, Role.DEPARTMENT, department=d.name)
        self._people = people
        self._staff_names = frozenset(p.name for p in people.values())

    def _resident_name(self, display_name: str) -> str:
        """A resident whose display name is a staff member's (or says 网格员 / 书记) is shown as what they
        are: "王网格员(居民)" — staff reading a need, a roster or the inbox are not fooled by it."""
        if display_name in self._staff_names or any(w in display_name for w in _STAFF_WORDS):
            return display_name + RESIDENT_TAG
        return display_name

    def resolve(self, contact_id: str, display_name: str) -> Person:
        return self._people.get(contact_id) or Person(contact_id, self._resident_name(display_name), Role.RESIDENT)

    def get(self, contact_id: str) -> Person | None:
        return self._people.get(contact_id)

    def worker_of_grid(self, grid: int) -> Person | None:
        g = self._config.grid_by_number(grid)
        return self._people.get(g.worker) if g else None
