"""What the apps above the catalog do when something happens to a service: the catalog may not import
them (they stand on it), so each registers its step from its AppConfig.ready() and the catalog calls
the hook (see services_portal.core.hooks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services_portal.core.hooks import Hook

if TYPE_CHECKING:
    from profiles.models import Citizen
    from services_portal.catalog.models import ServiceItem

# A signed-in person opened a service's page: implicit feedback for the recommender, which keeps it
# only while the person allows personalisation.
on_service_viewed: Hook[[Citizen, ServiceItem]] = Hook("on_service_viewed")
# In the transaction that publishes a service (the editor's admin, a catalog import), with its life
# events saved: notifications push it to the people of its life-event groups after commit.
on_service_published: Hook[[ServiceItem]] = Hook("on_service_published")
