"""What the apps above profiles do when something happens to a person: profiles may not import them
(they stand on it), so each registers its own step from its AppConfig.ready() and profiles' services
call the hook inside their own transaction (see services_portal.core.hooks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services_portal.core.hooks import Hook

if TYPE_CHECKING:
    from profiles.models import Citizen

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
