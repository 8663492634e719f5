"""Rating an ended case (好差评) and answering a dissatisfied rating's follow-up; what ratings hold on a
person when their account closes (registered by RatingsConfig.ready())."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from profiles.models import Citizen, User
from profiles.permissions import allowed
from services_portal.casework.deadlines import working_days_after
from services_portal.casework.models import ENDED_STATES, Case
from services_portal.casework.services import case_in_scope, case_news_push
from services_portal.core.errors import PortalError
from services_portal.ratings.models import (
    DISSATISFIED_LEVELS,
    FollowUp,
    FollowUpState,
    Rating,
    RatingChannel,
    RatingLevel,
    RatingReason,
    reasons_for,
)

# 差评 are verified, rectified and answered within 15 working days (国办发〔2019〕51号).
FOLLOW_UP_WORKING_DAYS = 15
TEXT_MAX = 1000
ANSWER_MAX = 2000


class RatingNotFound(PortalError):
    status_code = 404


class RatingConflict(PortalError):
    status_code = 409


def _field_error(code: str, field: str, message: str) -> PortalError:
    return PortalError(code, message, fields={field: [message]})


def _rating_check(level: int, reasons: Sequence[str], text: str) -> list[str]:
    if level not in RatingLevel.values:
        raise _field_error("invalid_level", "level", _("Choose how satisfied you are."))
    fitting = reasons_for(level)
    chosen = list(dict.fromkeys(reasons))  # in the order given, once each
    if any(code not in fitting for code in chosen):
        if level in DISSATISFIED_LEVELS:
            message = _("Choose reasons that say what was wrong, or “Other”.")
        else:
            message = _("Choose reasons that say what was good, or “Other”.")
        raise _field_error("invalid_reason", "reasons", message)
    if RatingReason.OTHER in chosen and not text.strip():
        raise _field_error("text_required", "text", _("Say in a few words what you mean by “Other”."))
    if len(text.strip()) > TEXT_MAX:
        raise _field_error("text_too_long", "text", _("Write at most %(max)s characters.") % {"max": TEXT_MAX})
    return chosen


@transaction.atomic
def rating_submit(
    *,
    citizen: Citizen,
    case_id: int,
    level: int,
    reasons: Sequence[str],
    text: str = "",
    channel: RatingChannel | str = RatingChannel.WEB,
) -> Rating:
    """The applicant rates their case once it has ended (好差评), once. A dissatisfied rating opens a
    follow-up for the case's department, due in FOLLOW_UP_WORKING_DAYS working days."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("service__department")
        .filter(pk=case_id, citizen=citizen)
        .first()
    )
    if case is None:
        raise RatingNotFound("not_found", _("Not found."))
    if case.state not in ENDED_STATES:
        raise RatingConflict("not_ended", _("You can rate this once it has been dealt with."))
    if Rating.objects.filter(case=case).exists():
        raise RatingConflict("already_rated", _("You have already rated this."))
    chosen = _rating_check(level, reasons, text)
    rating = Rating(case=case, citizen=citizen, level=level, reasons=chosen, text=text.strip(), channel=channel)
    rating.full_clean(exclude=["case"])
    try:
        with transaction.atomic():
            rating.save(force_insert=True)
    except IntegrityError:  # rated meanwhile, in another request
        raise RatingConflict("already_rated", _("You have already rated this.")) from None
    if rating.dissatisfied:
        FollowUp.objects.create(
            rating=rating,
            department=case.service.department,
            due_on=working_days_after(timezone.localdate(), FOLLOW_UP_WORKING_DAYS),
        )
    return rating


_ANSWERED = (
    gettext_lazy("Answer to your rating: %(service)s"),
    gettext_lazy(
        "The department has looked into what you told us and answered. Read its answer on the page of your case."
    ),
)


@transaction.atomic
def follow_up_answer(*, actor: User, follow_up_id: int, text: str) -> FollowUp:
    """A caseworker of the case's department and region answers a dissatisfied rating: what was found
    and what was put right. The applicant is told in their inbox and sees the answer on their case."""
    if not allowed(actor, "casework.decide"):
        raise PortalError("forbidden", _("Only caseworkers answer follow-ups."))
    follow_up = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("rating__case__citizen", "rating__case__service__department")
        .filter(pk=follow_up_id)
        .first()
    )
    if follow_up is None or not case_in_scope(actor, follow_up.rating.case):
        raise RatingNotFound("not_found", _("Not found."))
    if follow_up.state != FollowUpState.OPEN:
        raise RatingConflict("already_answered", _("This follow-up has already been answered."))
    answer = text.strip()
    if not answer:
        raise _field_error("text_required", "text", _("Write your answer to the person."))
    if len(answer) > ANSWER_MAX:
        raise _field_error("text_too_long", "text", _("Write at most %(max)s characters.") % {"max": ANSWER_MAX})
    follow_up.state, follow_up.response = FollowUpState.ANSWERED, answer
    follow_up.answered_by, follow_up.answered_at = actor, timezone.now()
    follow_up.save(update_fields=["state", "response", "answered_by", "answered_at"])
    case = follow_up.rating.case
    if case.citizen.erased_at is None:
        title, body = _ANSWERED
        case_news_push(case, key=f"case:{case.pk}:follow-up:{follow_up.pk}:answered", title=title, body=body)
    return follow_up


def ratings_account_closed(citizen: Citizen) -> None:
    """Closing the account erases the person's own words in their ratings; the level and reasons stay
    for the satisfaction figures, pointing at the pseudonymous record (README: "Deletion")."""
    Rating.objects.filter(citizen=citizen).exclude(text="").update(text="")
