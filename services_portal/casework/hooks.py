"""What casework tells the apps above it (services_portal.core.hooks): payments, ratings and the
recommender stand on cases, so casework may not import them; each registers its step from its
AppConfig.ready()."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services_portal.core.hooks import Hook

if TYPE_CHECKING:
    from django.http import HttpRequest

    from services_portal.casework.models import Case, CaseEvent

# After every recorded transition of a case, in the transaction that made it: the recommender records
# "apply" when a case is submitted and "complete" when it is approved; payments are scheduled on
# approval.
on_case_event: Hook[[Case, CaseEvent]] = Hook("on_case_event")

# Parts of the person's own case page that the apps above draw (payments: amounts, periods and dates;
# ratings: the rating form, or the rating and its follow-up): each step returns HTML ("" for nothing),
# drawn in registration order below the case's history.
case_page_parts: Hook[[Case, HttpRequest]] = Hook("case_page_parts")
