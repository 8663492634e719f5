"""What casework tells the apps above it (services_portal.core.hooks): payments, ratings and the
recommender stand on cases, so casework may not import them; each registers its step from its
AppConfig.ready()."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services_portal.core.hooks import Hook

if TYPE_CHECKING:
    from services_portal.casework.models import Case, CaseEvent

# After every recorded transition of a case, in the transaction that made it: the recommender records
# "apply" when a case is submitted and "complete" when it is approved; payments are scheduled on
# approval.
on_case_event: Hook[[Case, CaseEvent]] = Hook("on_case_event")
