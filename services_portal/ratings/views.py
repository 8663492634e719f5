"""The rating pages: the applicant's rating on their own case page (a part casework draws through
casework.hooks.case_page_parts) and its own page at /me/cases/<id>/rating/, the caseworkers' follow-ups
at /casework/follow-ups/, and satisfaction per service and department at /audit/satisfaction/.

The views parse input, call one selector or service, and render; the rules live in the services, whose
refusals come back as form errors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from profiles.forms import errors_from
from profiles.permissions import permission_required
from profiles.requests import AuthenticatedHttpRequest
from profiles.selectors import citizen_of, citizen_signed_in
from services_portal.casework.models import Case
from services_portal.core.errors import PortalError
from services_portal.ratings.forms import FollowUpAnswerForm, FollowUpFilterForm, RatingForm, SatisfactionFilterForm
from services_portal.ratings.models import Rating, RatingChannel
from services_portal.ratings.selectors import (
    follow_up_get_for,
    follow_ups_for,
    own_rated_case_get,
    rating_of,
    rating_open_to,
    satisfaction_by_department,
    satisfaction_by_service,
)
from services_portal.ratings.services import RatingConflict, RatingNotFound, follow_up_answer, rating_submit
from services_portal.reference import regions

FOLLOW_UPS_PAGE_SIZE = 20


def _rating_context(case: Case, rating: Rating | None, *, can_rate: bool, form: RatingForm | None = None) -> dict:
    return {
        "case": case,
        "rating": rating,
        "follow_up": getattr(rating, "follow_up", None) if rating is not None else None,
        "can_rate": can_rate,
        "form": form or RatingForm(),
    }


def case_rating_part(case: Case, request: HttpRequest) -> str:
    """The rating part of the person's own case page (casework.hooks.case_page_parts): the form once
    the case has ended and is not rated, else the rating and its follow-up; nothing before it ends."""
    citizen = citizen_signed_in(request.user)
    if citizen is None or case.citizen_id != citizen.pk:
        return ""
    rating = rating_of(case)
    can_rate = rating is None and rating_open_to(citizen, case)
    if rating is None and not can_rate:
        return ""
    return render_to_string(
        "ratings/_case_rating.html", _rating_context(case, rating, can_rate=can_rate), request=request
    )


@login_required
@require_http_methods(["GET", "POST"])
def rating_page(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """Rating a case on a page of its own: where the case page's form posts, and where its errors show."""
    citizen = citizen_of(request.user)
    case = own_rated_case_get(citizen, case_id)
    if request.method != "POST":
        context = _rating_context(case, rating_of(case), can_rate=rating_open_to(citizen, case))
        return render(request, "ratings/rate.html", context)
    form = RatingForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            rating = rating_submit(
                citizen=citizen,
                case_id=case.pk,
                level=data["level"],
                reasons=data["reasons"],
                text=data["text"],
                channel=RatingChannel.WEB,
            )
        except RatingNotFound:
            raise Http404 from None
        except RatingConflict as conflict:
            messages.error(request, conflict.message)
            return redirect("casework:my_case", case_id=case.pk)
        except PortalError as error:
            errors_from(form, error)
        else:
            if rating.dissatisfied:
                messages.success(
                    request,
                    _("Thank you. The department will look into what went wrong and answer you by %(date)s.")
                    % {"date": rating.follow_up.due_on.isoformat()},
                )
            else:
                messages.success(request, _("Thank you for your rating."))
            return redirect("casework:my_case", case_id=case.pk)
    context = _rating_context(case, None, can_rate=rating_open_to(citizen, case), form=form)
    return render(request, "ratings/rate.html", context, status=status)


# -- caseworkers ---------------------------------------------------------------------------------


@permission_required("casework.decide")
@require_GET
def follow_ups_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = FollowUpFilterForm(request.GET)
    form.is_valid()
    paginator = Paginator(
        follow_ups_for(request.user, show=form.show_value()), request.display.page_size(FOLLOW_UPS_PAGE_SIZE)
    )
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "follow_ups": list(page),
        "filtered": bool(request.GET.get("show")),
        "scope_name": regions.display_name(request.user.region_scope) if request.user.region_scope else "",
    }
    return render(request, "ratings/follow_ups.html", context, status=400 if form.errors else 200)


@permission_required("casework.decide")
@require_http_methods(["GET", "POST"])
def follow_up_page(request: AuthenticatedHttpRequest, follow_up_id: int) -> HttpResponse:
    follow_up = follow_up_get_for(request.user, follow_up_id)
    form = FollowUpAnswerForm()
    status = 200
    if request.method == "POST":
        form = FollowUpAnswerForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                follow_up_answer(actor=request.user, follow_up_id=follow_up.pk, text=form.cleaned_data["text"])
            except RatingNotFound:
                raise Http404 from None
            except RatingConflict as conflict:
                form.add_error(None, conflict.message)
                status = 409
            except PortalError as error:
                errors_from(form, error)
            else:
                messages.success(request, _("Your answer is sent. The person has been told."))
                return redirect("ratings:follow_ups")
        follow_up = follow_up_get_for(request.user, follow_up_id)
    case = follow_up.rating.case
    context: dict[str, Any] = {
        "follow_up": follow_up,
        "rating": follow_up.rating,
        "case": case,
        "region_name": regions.display_name(case.region_code) if case.region_code else "",
        "form": form,
    }
    return render(request, "ratings/follow_up.html", context, status=status)


# -- satisfaction --------------------------------------------------------------------------------


@permission_required("ratings.report")
@require_GET
def satisfaction_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SatisfactionFilterForm(request.GET)
    period: dict[str, Any] = {}
    if form.is_valid():
        period = {"since": form.cleaned_data["since"], "until": form.cleaned_data["until"]}
    context = {
        "form": form,
        "departments": satisfaction_by_department(request.user, **period),
        "services": satisfaction_by_service(request.user, **period),
        "filtered": any(request.GET.get(name) for name in ("since", "until")),
        "scope_name": regions.display_name(request.user.region_scope) if request.user.region_scope else "",
    }
    return render(request, "ratings/satisfaction.html", context, status=400 if form.errors else 200)
