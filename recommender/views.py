"""The person's "for you" page (/me/for-you/): the services suggested to them, each with the reasons
why, and the buttons that say what they think of a suggestion (save, dismiss, not relevant).

The list comes from `recommender.selectors.recommendations_for`; what the buttons record, and whether
it is kept at all without personalisation, is decided by `interaction_observe`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from profiles.requests import AuthenticatedHttpRequest
from profiles.selectors import citizen_of
from recommender import selectors
from recommender.forms import FeedbackForm
from recommender.models import InteractionChannel, InteractionKind
from recommender.services.interactions import interaction_observe
from services_portal.core.errors import PortalError

FOR_YOU_SIZE = 10


def _safe_next(request: HttpRequest, fallback: str) -> str:
    next_url = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return next_url
    return fallback


@never_cache
@login_required
@require_GET
def for_you_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    for_you = selectors.recommendations_for(citizen, limit=request.display.page_size(FOR_YOU_SIZE))
    return render(request, "recommender/for_you.html", {"citizen": citizen, "for_you": for_you})


@never_cache
@login_required
@require_POST
def feedback_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Save, dismiss or "not relevant" from a button on the "for you" page or a service page."""
    citizen = citizen_of(request.user)
    back = _safe_next(request, reverse("recommender:for_you"))
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Sorry, that did not work. Please try again."))
        return HttpResponseRedirect(back)
    kind = form.cleaned_data["action"]
    try:
        interaction = interaction_observe(
            citizen=citizen, service_code=form.cleaned_data["service"], kind=kind, channel=InteractionChannel.WEB
        )
    except PortalError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(back)
    if interaction is None:
        messages.info(
            request,
            _("Not saved: personalisation is off, so we do not keep a record of what you do on the portal."),
        )
    else:
        service = {"service": interaction.service.name}
        if kind == InteractionKind.SAVE:
            messages.success(request, _("Saved: %(service)s.") % service)
        elif kind == InteractionKind.DISMISS:
            messages.success(request, _("Removed from your list: %(service)s.") % service)
        else:
            messages.success(request, _("Thank you for telling us. We will not suggest %(service)s again.") % service)
    return HttpResponseRedirect(back)
