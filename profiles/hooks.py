"""What the apps above profiles do when something happens to a person, and what they add to what
profiles shows: profiles may not import them (they stand on it), so each registers its own step from
its AppConfig.ready() and profiles' services call the hook inside their own transaction, its selectors
collect the answers (see services_portal.core.hooks).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services_portal.core.hooks import Hook

if TYPE_CHECKING:
    from profiles.models import Citizen


@dataclass(frozen=True)
class FactChange:
    """A fact whose value a department just changed (on_facts_recorded): the value before (as stored),
    or None, and when the new one was observed."""

    previous: Any
    observed_at: datetime.datetime


# After a consent purpose is withdrawn, with the person whose consent it was and the purpose.
on_consent_withdrawn: Hook[[Citizen, str]] = Hook("on_consent_withdrawn")
# While an account closes, before the person's record is made pseudonymous: each app erases what it
# holds on the person (or keeps, and says in README why, what the law requires it to keep).
on_account_closed: Hook[[Citizen]] = Hook("on_account_closed")
# When the person turns the personalisation switch off (withdrawing the consent is an
# on_consent_withdrawn with the purpose personalisation).
on_personalisation_stopped: Hook[[Citizen]] = Hook("on_personalisation_stopped")
# After the transaction commits, to tell the owner of a bound account that something happened to their
# identity: `kind` is "signup_attempt" (someone signed up with their ID number) or "bind_attempt" (an
# account tried to prove it is theirs). The notifications app writes to the inbox and sends a text.
on_identity_notice: Hook[[Citizen, str]] = Hook("on_identity_notice")
# In the transaction that stored a department's batch of facts (services.bulk.facts_bulk_record), with
# per person (citizen id) the facts whose value changed: notifications push the services of the life
# events a change starts, committed with the batch or not at all.
on_facts_recorded: Hook[[Mapping[int, Mapping[str, FactChange]]]] = Hook("on_facts_recorded")
# Later, from a background task, with the people whose facts or household a batch changed: each app
# reassesses them in the task's transaction and answers how many things it opened (`collect`), as
# casework does with the proactive-benefit cases they now qualify for. The feeds call it once per batch.
on_people_reassess: Hook[[Sequence[int]]] = Hook("on_people_reassess")

# Parts of what profiles shows that apps above it work out; each step answers (`collect`).
# The life-event tags the person's facts put them in, with the facts behind each and leaving out those
# they deleted (selectors.tags_not_deleted): a list of LifeEventTag. The catalog, which holds the life
# events, answers; profiles' pages, API and export show them.
life_event_tags: Hook[[Citizen]] = Hook("life_event_tags")
# Department codes (as facts record them) to their names in the active language: the catalog keeps them.
department_names: Hook[[]] = Hook("department_names")
# Sections of the person's data export (the right of access) that apps above profiles hold, as a dict of
# sections by name, placed after profiles' own in registration order (the recommender: the interactions).
export_sections: Hook[[Citizen]] = Hook("export_sections")
