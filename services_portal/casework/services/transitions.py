"""The transitions of a case (services_portal.casework.models): each checks who acts, the current state
and the version the caseworker saw, then moves the case, writes a history row with who, what, when and
why, tells the person through the outbox and the apps above through casework.hooks.on_case_event."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from profiles.models import Citizen, User
from profiles.permissions import allowed, in_scope
from services_portal.casework import hooks
from services_portal.casework.deadlines import working_days_after
from services_portal.casework.errors import CaseConflict, CaseNotFound
from services_portal.casework.models import (
    ENDED_STATES,
    UNDECIDED_STATES,
    ApprovalReason,
    Case,
    CaseAction,
    CaseEvent,
    CaseObjection,
    CaseOrigin,
    CaseState,
    MaterialFile,
    RefusalReason,
    RejectionReason,
)
from services_portal.core.errors import PortalError
from services_portal.notifications.models import Push, Trigger
from services_portal.notifications.services import push_create

# What the person is told at each step: the inbox title and body (the service's name is %(service)s).
_NEWS: dict[str, tuple[Promise, Promise]] = {
    CaseState.SUBMITTED: (
        gettext_lazy("Application received: %(service)s"),
        gettext_lazy("The department will check your application and tell you whether it is accepted."),
    ),
    CaseState.IN_REVIEW: (
        gettext_lazy("Application accepted: %(service)s"),
        gettext_lazy("Your application was accepted and is being reviewed. You can follow it on its page."),
    ),
    CaseState.REFUSED: (
        gettext_lazy("Application not accepted: %(service)s"),
        gettext_lazy("The department could not accept your application. The reason is on its page."),
    ),
    CaseState.RETURNED: (
        gettext_lazy("More is needed for: %(service)s"),
        gettext_lazy("The department needs more from you before it can decide. See what and by when on its page."),
    ),
    CaseState.APPROVED: (
        gettext_lazy("Approved: %(service)s"),
        gettext_lazy("Your application was approved. Its page says what happens next."),
    ),
    CaseState.REJECTED: (
        gettext_lazy("Not approved: %(service)s"),
        gettext_lazy("After checking, it was not approved. The reasons are on its page, where you can object."),
    ),
    CaseState.DELIVERED: (
        gettext_lazy("Done: %(service)s"),
        gettext_lazy("Your service has been delivered. You can rate it on its page."),
    ),
}
_PROACTIVE_APPROVED = (
    gettext_lazy("Approved: %(service)s"),
    gettext_lazy("Your benefit was approved. You do not need to apply."),
)
# A re-assessment of a benefit in force (origin review), decided.
_REVIEW_NEWS: dict[str, tuple[Promise, Promise]] = {
    CaseState.APPROVED: (
        gettext_lazy("Your benefit continues: %(service)s"),
        gettext_lazy("After checking your records again, the department keeps your benefit as it is."),
    ),
    CaseState.REJECTED: (
        gettext_lazy("Your benefit stops: %(service)s"),
        gettext_lazy(
            "After checking your records again, the department stops your benefit from the next period. "
            "The reasons are on the case page, where you can object."
        ),
    ),
}


def transition_record(
    case: Case,
    *,
    to: CaseState,
    action: CaseAction,
    actor: User | None = None,
    reason_code: str = "",
    text: str = "",
    fields: Sequence[str] = (),
    tell: bool = True,
) -> CaseEvent:
    """Move a locked case to `to`: the version goes up (a caseworker looking at the old one must look
    again), the history gains a row, the person hears of it (unless `tell` is False: the step is
    theirs) and the apps above are told."""
    case.state = to
    case.version += 1
    case.save(update_fields=["state", "version", *fields])
    event = CaseEvent.objects.create(case=case, action=action, actor=actor, reason_code=reason_code, text=text)
    if tell:
        _notify(case)
    hooks.on_case_event(case, event)
    return event


def _notify(case: Case) -> None:
    """The inbox row at once (news of the person's own case, whatever their channel consents), the
    other channels after commit by the routing plan."""
    news = _NEWS.get(case.state)
    if news is None:
        return
    if case.state == CaseState.APPROVED and case.origin == CaseOrigin.PROACTIVE:
        news = _PROACTIVE_APPROVED
    if case.origin == CaseOrigin.REVIEW:
        news = _REVIEW_NEWS.get(case.state, news)
    title, body = news
    case_news_push(case, key=f"case:{case.pk}:{case.state}:{case.version}", title=title, body=body)


def case_news_push(case: Case, *, key: str, title: Promise, body: Promise) -> Push | None:
    """News of the person's own case (a step, a payment, a department's answer to their rating), linking
    to the case: the inbox row at once whatever their channel consents, the other channels after commit
    by the routing plan; once per `key`. The title and body may name the service as %(service)s."""
    return push_create(
        citizen=case.citizen,
        service=case.service,
        trigger=Trigger.CASE_DECISION,
        key=key,
        title=title,
        body=body,
        params={"zh-hans": {"service": case.service.name_zh}, "en": {"service": case.service.name_en}},
        link=f"/me/cases/{case.pk}/",
        essential=True,
        inbox_at_once=True,
    )


def case_in_scope(user: User, case: Case) -> bool:
    """Whether a caseworker may see and decide `case`: in their region and, if they belong to a
    department, one of its services."""
    if not in_scope(user, case.region_code):
        return False
    return not user.department or case.service.department.code == user.department


def _locked(*, case_id: int, actor: User, version: int, states: Sequence[str]) -> Case:
    if not allowed(actor, "casework.decide"):
        raise PortalError("forbidden", _("Only caseworkers decide cases."))
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("citizen", "service__department", "application")
        .filter(pk=case_id)
        .first()
    )
    if case is None or not case_in_scope(actor, case):
        raise CaseNotFound("not_found", _("Not found."))
    if case.citizen.erased_at is not None:
        raise CaseConflict(
            "person_erased",
            _("This person closed their account: the case was withdrawn and can no longer be decided."),
        )
    if case.state == CaseState.WITHDRAWN:
        raise CaseConflict("withdrawn", _("The applicant withdrew this application: it can no longer be decided."))
    if case.version != version:
        raise CaseConflict(
            "conflict", _("Someone else decided this case while you were looking at it. Look at it again.")
        )
    if case.state not in states and case.state in ENDED_STATES:
        raise CaseConflict("already_decided", _("This case has already been decided."))
    if case.state not in states:
        raise CaseConflict(
            "wrong_state",
            _("This case is %(state)s: that step is not possible now.") % {"state": case.get_state_display()},
        )
    return case


def _decided(case: Case, *, to: CaseState, action: CaseAction, actor: User, reason_code: str, text: str) -> Case:
    """A decision with its reason (refused at intake, approved, rejected): the case is decided now."""
    case.decided_at = timezone.now()
    transition_record(
        case, to=to, action=action, actor=actor, reason_code=reason_code, text=text.strip(), fields=["decided_at"]
    )
    return case


def _reason_check(reason_code: str, allowed_codes: list[str], text: str) -> None:
    if reason_code not in allowed_codes:
        message = _("Choose a reason from the list.")
        raise PortalError("invalid_reason", message, fields={"reason_code": [message]})
    if reason_code == RejectionReason.OTHER and not text.strip():
        message = _("Explain the reason.")
        raise PortalError("text_required", message, fields={"text": [message]})


def required_materials(case: Case) -> list[dict]:
    """The materials the applicant must supply for this case: those of its service's catalog entry
    that are neither optional nor obtained by the department itself (shared e-licences)."""
    return [
        material
        for material in case.service.materials
        if material.get("required", True) and not material.get("shared", False)
    ]


def materials_missing(case: Case) -> list[dict]:
    """The required materials with no file on the case's application (none for a proactive case)."""
    if case.application_id is None:
        return []
    held = set(MaterialFile.objects.filter(application_id=case.application_id).values_list("material", flat=True))
    return [material for material in required_materials(case) if material["code"] not in held]


# -- intake (受理) -------------------------------------------------------------------------------


@transaction.atomic
def case_accept(*, case_id: int, actor: User, version: int) -> Case:
    """Accept an application (受理): the promised time limit (承诺时限) starts today."""
    case = _locked(case_id=case_id, actor=actor, version=version, states=[CaseState.SUBMITTED])
    case.accepted_at = timezone.now()
    case.due_on = working_days_after(timezone.localdate(), case.service.processing_days or 0)
    transition_record(
        case, to=CaseState.IN_REVIEW, action=CaseAction.ACCEPTED, actor=actor, fields=["accepted_at", "due_on"]
    )
    return case


@transaction.atomic
def case_refuse(*, case_id: int, actor: User, version: int, reason_code: str, text: str = "") -> Case:
    """Refuse an application at intake (不予受理), with the reason."""
    case = _locked(case_id=case_id, actor=actor, version=version, states=[CaseState.SUBMITTED])
    _reason_check(reason_code, RefusalReason.values, text)
    return _decided(
        case, to=CaseState.REFUSED, action=CaseAction.REFUSED, actor=actor, reason_code=reason_code, text=text
    )


# -- 补正: more is needed --------------------------------------------------------------------------


@transaction.atomic
def case_return(
    *,
    case_id: int,
    actor: User,
    version: int,
    materials: Sequence[str] = (),
    text: str = "",
    resubmit_by: datetime.date | None = None,
) -> Case:
    """Return an application for more (补正): the materials missing (codes of the service's catalog
    materials) and/or what else, and the day by which to resubmit."""
    case = _locked(case_id=case_id, actor=actor, version=version, states=[CaseState.SUBMITTED, CaseState.IN_REVIEW])
    if case.application_id is None:
        raise CaseConflict(
            "nothing_to_resubmit",
            _("A case found by data matching has no application to return: reject it or decide it."),
        )
    codes = {material["code"] for material in case.service.materials}
    unknown = [code for code in materials if code not in codes]
    if unknown:
        message = _("Choose the missing materials from the service's list.")
        raise PortalError("invalid_material", message, fields={"materials": [message]})
    if not materials and not text.strip():
        message = _("Say what is missing.")
        raise PortalError("text_required", message, fields={"text": [message]})
    today = timezone.localdate()
    resubmit_by = resubmit_by or today + datetime.timedelta(days=settings.CASE_RESUBMIT_DAYS)
    if resubmit_by <= today:
        message = _("The deadline must be after today.")
        raise PortalError("invalid_deadline", message, fields={"resubmit_by": [message]})
    case.returned_materials, case.returned_note, case.resubmit_by = list(materials), text.strip(), resubmit_by
    transition_record(
        case,
        to=CaseState.RETURNED,
        action=CaseAction.RETURNED,
        actor=actor,
        text=text.strip(),
        fields=["returned_materials", "returned_note", "resubmit_by"],
    )
    return case


def case_resubmitted(
    case: Case, *, returned_at: datetime.datetime, actor: User | None = None, text: str = ""
) -> CaseEvent:
    """A returned case the applicant (or counter staff for them) completed, back in review: the days
    it waited for them do not count against the promised time limit. The caller has locked the case,
    checked the deadline and stored what came (casework.services.applications.case_resubmit)."""
    if case.due_on is not None:
        case.due_on += timezone.localdate() - timezone.localtime(returned_at).date()
    case.returned_materials, case.resubmit_by = [], None
    event = transition_record(
        case,
        to=CaseState.IN_REVIEW if case.accepted_at else CaseState.SUBMITTED,
        action=CaseAction.RESUBMITTED,
        actor=actor,
        fields=["due_on", "returned_materials", "resubmit_by"],
        tell=False,
    )
    if text.strip():
        # the person's words apart from the append-only history, so that closing the account erases them
        CaseObjection.objects.create(event=event, text=text.strip()[:2000])
    return event


# -- decisions ------------------------------------------------------------------------------------


def _needs_second_approval(case: Case) -> bool:
    threshold = Decimal(str(settings.CASE_SECOND_APPROVAL_THRESHOLD_CNY))
    return case.amount_cny is not None and case.amount_cny > threshold


@transaction.atomic
def case_approve(*, case_id: int, actor: User, reason_code: str, text: str = "", version: int) -> Case:
    """Approve; above the threshold, the first approval waits for a second, different caseworker. An
    application is not approved while a required material is missing."""
    case = _locked(
        case_id=case_id, actor=actor, version=version, states=[CaseState.IN_REVIEW, CaseState.AWAITING_SECOND]
    )
    _reason_check(reason_code, ApprovalReason.values, text)
    missing = materials_missing(case)
    if missing:
        names = "、".join(material.get("zh-hans", material["code"]) for material in missing)
        raise CaseConflict(
            "material_missing",
            _("A required material is missing (%(materials)s): return the application for it first.")
            % {"materials": names},
        )
    if case.state == CaseState.AWAITING_SECOND and case.first_approver_id == actor.pk:
        raise PortalError("same_approver", _("The second approval must come from a different caseworker."))
    if case.state == CaseState.IN_REVIEW and _needs_second_approval(case):
        case.first_approver = actor
        transition_record(
            case,
            to=CaseState.AWAITING_SECOND,
            action=CaseAction.FIRST_APPROVAL,
            actor=actor,
            reason_code=reason_code,
            text=text.strip(),
            fields=["first_approver"],
            tell=False,
        )
        return case
    return _decided(
        case, to=CaseState.APPROVED, action=CaseAction.APPROVED, actor=actor, reason_code=reason_code, text=text
    )


@transaction.atomic
def case_reject(*, case_id: int, actor: User, reason_code: str, text: str = "", version: int) -> Case:
    case = _locked(
        case_id=case_id, actor=actor, version=version, states=[CaseState.IN_REVIEW, CaseState.AWAITING_SECOND]
    )
    _reason_check(reason_code, RejectionReason.values, text)
    return _decided(
        case, to=CaseState.REJECTED, action=CaseAction.REJECTED, actor=actor, reason_code=reason_code, text=text
    )


@transaction.atomic
def case_deliver(*, case_id: int, actor: User | None, version: int | None = None, text: str = "") -> Case:
    """An approved case delivered: the caseworker issued what was applied for, or (actor None) payments
    saw its first payment paid. Delivering a case delivered already does nothing."""
    if actor is None:
        case = Case.objects.select_for_update(of=("self",)).select_related("citizen", "service").get(pk=case_id)
        if case.state != CaseState.APPROVED:
            return case
    else:
        case = _locked(case_id=case_id, actor=actor, version=version or 0, states=[CaseState.APPROVED])
        if case.service.benefit_amount_cny is not None:
            raise CaseConflict(
                "paid_by_payments", _("This benefit pays money: it is delivered when the payment is made.")
            )
    case.delivered_at = timezone.now()
    transition_record(
        case,
        to=CaseState.DELIVERED,
        action=CaseAction.DELIVERED,
        actor=actor,
        text=text.strip(),
        fields=["delivered_at"],
    )
    return case


# -- the applicant's own steps ------------------------------------------------------------------


def own_case_locked(citizen: Citizen, case_id: int) -> Case:
    """The person's own case, locked for a step of theirs; not found (404) when it is not theirs."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("citizen", "service")
        .filter(pk=case_id, citizen=citizen)
        .first()
    )
    if case is None:
        raise CaseNotFound("not_found", _("Not found."))
    return case


@transaction.atomic
def case_withdraw(*, citizen: Citizen, case_id: int) -> Case:
    """The applicant withdraws an application not yet decided."""
    case = own_case_locked(citizen, case_id)
    if case.state not in UNDECIDED_STATES:
        raise CaseConflict("already_decided", _("This application has already been decided: it cannot be withdrawn."))
    transition_record(case, to=CaseState.WITHDRAWN, action=CaseAction.WITHDRAWN, reason_code="applicant", tell=False)
    return case


@transaction.atomic
def case_object(*, citizen: Citizen, case_id: int, text: str) -> Case:
    """The person objects to a decision: the case goes back to the queue for a fresh decision."""
    case = own_case_locked(citizen, case_id)
    if not case.open_to_objection:
        raise PortalError("not_decided", _("You can object once the case has been decided."))
    if not text.strip():
        message = _("Say why you object.")
        raise PortalError("text_required", message, fields={"text": [message]})
    case.first_approver, case.decided_at = None, None
    event = transition_record(
        case,
        to=CaseState.IN_REVIEW,
        action=CaseAction.OBJECTED,
        fields=["first_approver", "decided_at"],
        tell=False,
    )
    # the person's words apart from the append-only history, so that closing the account erases them
    CaseObjection.objects.create(event=event, text=text.strip()[:2000])
    return case
