"""Who may do what, in one place. Views, API views and the admin ask here; none decides on its own.

Staff act only within their region scope: a region code and everything under it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeGuard

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.permissions import BasePermission

from profiles.models import AccessPurpose, Role, User
from services_portal.reference import regions

POLICY: dict[str, frozenset[Role]] = {
    # a citizen's own data, through /me/ pages and /api/v1/me/
    "self.manage": frozenset({Role.CITIZEN}),
    # looking a person up and reading their data, with a purpose
    "citizen.read": frozenset({Role.COUNTER_STAFF, Role.CASEWORKER, Role.ADMINISTRATOR}),
    # recording facts and witnessed consents for a person at the counter
    "citizen.assist": frozenset({Role.COUNTER_STAFF}),
    "access_log.search": frozenset({Role.AUDITOR, Role.ADMINISTRATOR}),
    # the proactive-benefit queue: reading cases (logged) and deciding them
    "casework.decide": frozenset({Role.CASEWORKER}),
    "catalog.edit": frozenset({Role.CATALOG_EDITOR, Role.ADMINISTRATOR}),
    "feed.deliver": frozenset({Role.DEPARTMENT_FEED}),
    # the recommender's model registry and evaluations: auditors read, administrators train and serve
    "recommender.read": frozenset({Role.AUDITOR, Role.ADMINISTRATOR}),
    "recommender.manage": frozenset({Role.ADMINISTRATOR}),
    # the push outbox and its deliveries, to see what reached whom and why not
    "push.read": frozenset({Role.ADMINISTRATOR}),
    # satisfaction (好差评) per service and department: figures only, no person in them
    "ratings.report": frozenset({Role.AUDITOR, Role.ADMINISTRATOR}),
    # benefit payments: the list, the payment file for the bank and the bank's result file
    "payments.manage": frozenset({Role.FINANCE}),
    # the operator's view (态势感知): reach, uptake, backlogs and feed health, within the region scope; figures
    # only, small cells suppressed
    "reach.view": frozenset({Role.REGION_HEAD, Role.ADMINISTRATOR}),
}

# The purposes for which each role may read a person's data. The access service refuses any other, and
# the forms offer only these.
PURPOSES: dict[str, frozenset[AccessPurpose]] = {
    Role.COUNTER_STAFF: frozenset({AccessPurpose.COUNTER_SERVICE, AccessPurpose.OUTREACH}),
    Role.CASEWORKER: frozenset({AccessPurpose.CASEWORK}),
    Role.AUDITOR: frozenset({AccessPurpose.AUDIT}),
    Role.ADMINISTRATOR: frozenset({AccessPurpose.SUPPORT, AccessPurpose.DATA_SUBJECT_REQUEST, AccessPurpose.AUDIT}),
    Role.DEPARTMENT_FEED: frozenset({AccessPurpose.FEED_RECONCILIATION}),
    Role.FINANCE: frozenset({AccessPurpose.PAYMENT}),
}


def purposes_for(user: User | Any) -> list[AccessPurpose]:
    """The purposes `user` may give for reading a person's data, in the order of AccessPurpose."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    mine = PURPOSES.get(user.role, frozenset())
    return [purpose for purpose in AccessPurpose if purpose in mine]


def purpose_allowed(user: User | Any, purpose: str) -> bool:
    return purpose in purposes_for(user)


def allowed(user: User | Any, action: str) -> TypeGuard[User]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.role in POLICY[action]


def in_scope(user: User, region_code: str) -> bool:
    """Whether a person registered in `region_code` lies within the staff member's scope."""
    if user.role == Role.ADMINISTRATOR and not user.region_scope:
        return True
    return bool(user.region_scope and region_code and regions.is_within(region_code, user.region_scope))


def scope_prefix(user: User) -> str | None:
    """The region-code prefix a staff member's querysets filter on; "" for everywhere, None for nowhere."""
    if user.role == Role.ADMINISTRATOR and not user.region_scope:
        return ""
    region = regions.get(user.region_scope) if user.region_scope else None
    return region.scope_prefix if region else None


def permission_required(action: str) -> Callable:
    """For page views: 403 unless the signed-in user's role allows `action` (sign-in first)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user, action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


class Allowed(BasePermission):
    """For API views: `permission_classes = [Allowed.to("citizen.read")]`."""

    action = ""

    @classmethod
    def to(cls, action: str) -> type[Allowed]:
        if action not in POLICY:
            raise KeyError(action)
        return type(f"Allowed_{action.replace('.', '_')}", (cls,), {"action": action})

    def has_permission(self, request: Any, view: Any) -> bool:
        return allowed(request.user, self.action)
