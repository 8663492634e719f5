from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from profiles import hooks
from services_portal.counter import hooks as counter_hooks

if TYPE_CHECKING:
    from profiles.models import Citizen
    from services_portal.counter.models import OutreachTask


def reach_people_reassess(citizen_ids: Sequence[int]) -> int:
    """Profiles' hook (on_people_reassess): the ledger of the people a feed batch changed. Opens nothing."""
    from services_portal.reach.services.ledger import reach_ledger_refresh

    reach_ledger_refresh(now=timezone.now(), citizen_ids=citizen_ids)
    return 0


def reach_account_closed(citizen: Citizen) -> None:
    """Profiles' hook (on_account_closed): the person's rows of the ledger go. The day's figures taken
    before hold only counts, and stay."""
    from services_portal.reach.models import ReachEntry

    ReachEntry.objects.filter(citizen=citizen).delete()


def reach_outreach_outcome(task: OutreachTask) -> None:
    """The counter's hook (on_outreach_outcome): once the outcome commits, the person's ledger takes it in
    (a call or a visit reaches them) rather than at the next hourly run."""
    from services_portal.reach.services.ledger import reach_events_apply

    citizen_id = task.citizen_id
    transaction.on_commit(lambda: reach_events_apply(citizen_ids=[citizen_id]))


class ReachConfig(AppConfig):
    name = "services_portal.reach"
    label = "reach"
    verbose_name = _("Reach (应享未享)")

    def ready(self) -> None:
        hooks.on_people_reassess.register(reach_people_reassess)
        hooks.on_account_closed.register(reach_account_closed)
        counter_hooks.on_outreach_outcome.register(reach_outreach_outcome)
