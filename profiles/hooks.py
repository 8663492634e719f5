"""What the apps above profiles do when a person's data must go: profiles may not import them (they
stand on it), so each registers its own step here from its AppConfig.ready(), and profiles' services
call every registered step inside their own transaction.

    from profiles import hooks
    hooks.on_consent_withdrawn.append(my_app_consent_withdrawn)   # (citizen, purpose) -> None
    hooks.on_account_closed.append(my_app_account_closed)         # (citizen) -> None
    hooks.on_personalisation_stopped.append(my_app_forget)        # (citizen) -> None
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from profiles.models import Citizen

# Called after a consent purpose is withdrawn, with the person whose consent it was and the purpose.
on_consent_withdrawn: list[Callable[[Citizen, str], None]] = []
# Called while an account closes, before the person's record is made pseudonymous: each app erases
# what it holds on the person (or keeps, and says in README why, what the law requires it to keep).
on_account_closed: list[Callable[[Citizen], None]] = []
# Called when the person turns the personalisation switch off (withdrawing the consent is a
# consent_withdrawn with the purpose personalisation).
on_personalisation_stopped: list[Callable[[Citizen], None]] = []


def register(hooks: list, step: Callable) -> None:
    """Add `step` once: ready() may run more than once (tests, management commands)."""
    if step not in hooks:
        hooks.append(step)


def consent_withdrawn(citizen: Citizen, purpose: str) -> None:
    for step in on_consent_withdrawn:
        step(citizen, purpose)


def account_closed(citizen: Citizen) -> None:
    for step in on_account_closed:
        step(citizen)


def personalisation_stopped(citizen: Citizen) -> None:
    for step in on_personalisation_stopped:
        step(citizen)


# Called (after the transaction commits) to tell the owner of a bound account that something happened
# to their identity: `kind` is "signup_attempt" (someone signed up with their ID number) or
# "bind_attempt" (an account tried to prove it is theirs). The notifications app writes to the inbox and
# sends a text message.
on_identity_notice: list[Callable[[Citizen, str], None]] = []


def identity_notice(citizen: Citizen, kind: str) -> None:
    for step in on_identity_notice:
        step(citizen, kind)
