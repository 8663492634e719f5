"""A counter visit: the person a staff member is serving, held in that staff member's session.

The look-up is posted, so that a resident ID number never lands in a URL, a server log or the
browser's history. The pages about the person then carry a short handle that means something only
in this staff member's session and only for a while: not the ID number, nor the record's id, so
that a copied or bookmarked address opens nobody. Each handle remembers the purpose chosen at the
look-up, which every read of the person logs.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

from profiles.models import Citizen

SESSION_KEY = "counter_visits"
# A visit ends this long after its last page; looking the person up again starts a new one.
VISIT_LIFETIME = datetime.timedelta(minutes=30)
VISITS_KEPT = 10


@dataclass(frozen=True)
class Visit:
    handle: str
    citizen_id: int
    purpose: str


class VisitEnded(Exception):
    """The handle is unknown to this session or has expired."""


def _visits(session: SessionBase) -> dict[str, dict[str, Any]]:
    now = timezone.now().timestamp()
    visits = session.get(SESSION_KEY, {})
    return {handle: visit for handle, visit in visits.items() if visit.get("until", 0) > now}


def _save(session: SessionBase, visits: dict[str, dict[str, Any]]) -> None:
    newest = sorted(visits.items(), key=lambda item: item[1]["until"], reverse=True)[:VISITS_KEPT]
    session[SESSION_KEY] = dict(newest)
    session.modified = True


def visit_open(session: SessionBase, *, citizen: Citizen, purpose: str) -> Visit:
    visits = _visits(session)
    handle = secrets.token_urlsafe(12)
    visits[handle] = {
        "citizen": citizen.pk,
        "purpose": str(purpose),
        "until": (timezone.now() + VISIT_LIFETIME).timestamp(),
    }
    _save(session, visits)
    return Visit(handle, citizen.pk, str(purpose))


def visit_get(session: SessionBase, handle: str) -> Visit:
    """The visit a handle names, kept alive for another VISIT_LIFETIME; VisitEnded if there is none."""
    visits = _visits(session)
    found = visits.get(handle)
    if found is None:
        raise VisitEnded(handle)
    found["until"] = (timezone.now() + VISIT_LIFETIME).timestamp()
    _save(session, visits)
    return Visit(handle, found["citizen"], found["purpose"])


def visit_end(session: SessionBase, handle: str) -> None:
    visits = _visits(session)
    visits.pop(handle, None)
    _save(session, visits)
