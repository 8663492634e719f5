"""What the counter desk asks of the apps above it: the counter may not import them (they stand on
it), so each registers its step from its AppConfig.ready() and the desk calls the hook (see
services_portal.core.hooks). The protocols say what the desk reads of the answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from services_portal.core.hooks import Hook

if TYPE_CHECKING:
    from profiles.models import Citizen
    from services_portal.catalog.models import ServiceItem


class Suggestion(Protocol):
    """A service suggested for the person at the desk, with why."""

    @property
    def service(self) -> ServiceItem: ...

    @property
    def eligible(self) -> bool:
        """True: every criterion met; False: none failed but some fact is missing ("maybe")."""

    @property
    def criteria_met(self) -> int:
        """How many of the service's criteria the person meets (0 for a service open to anyone)."""

    @property
    def missing_facts(self) -> Sequence[str]:
        """Labels of the facts to ask the person about, to settle a "maybe"."""

    @property
    def reasons(self) -> Sequence[Any]:
        """The reasons, as the template recommender/_reasons.html draws them."""


class Suggestions(Protocol):
    """The services suggested for the person, best first."""

    @property
    def personalised(self) -> bool:
        """False: the list uses only the person's facts (no consent to use their activity)."""

    @property
    def items(self) -> Sequence[Suggestion]: ...


# The services to suggest for the person at the desk, at least `limit` of them where there are: the
# recommender answers (`collect`) with its "for you" list, Suggestions, which the desk puts in its own order.
desk_suggestions: Hook[[Citizen, int]] = Hook("desk_suggestions")
# After the staff applied for a service on the person's behalf: the recommender records it as the
# person's "apply" on the counter channel (whether or not they allow personalisation: an application is
# not activity tracking).
on_applied_at_counter: Hook[[Citizen, ServiceItem]] = Hook("on_applied_at_counter")
