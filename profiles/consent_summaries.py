"""Plain-language summaries of the consent notices: what is shared, with whom, why, and how to withdraw,
shown above each notice's legal text (which stays, and is what a person agrees to).

Each summary names the notice version it was written for: a new version of a notice
(data/consent_notices.yaml) needs its summary read again, and the tests say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from profiles.purposes import Purpose

WITHDRAW = _("At any time, on your consents page or at a service counter. It takes effect at once.")


@dataclass(frozen=True)
class ConsentSummary:
    notice_version: int
    what: Promise
    who: Promise
    why: Promise
    withdraw: Promise | str = WITHDRAW


SUMMARIES: dict[Purpose, ConsentSummary] = {
    Purpose.PERSONALISATION: ConsentSummary(
        1,
        what=_("Your facts, your life-event tags and what you do on the portal."),
        who=_("Only this portal. It is not given to anyone else."),
        why=_("To suggest services you may need, and tell you why."),
        withdraw=_(
            "At any time, on your consents page or at a service counter, or switch personalisation off. "
            "You then see the same suggestions as everyone, and your data is not used to train the model."
        ),
    ),
    Purpose.DATA_MATCHING: ConsentSummary(
        1,
        what=_("Facts about you that government departments hold, only those listed in the portal's fact register."),
        who=_("Departments such as public security, civil affairs, human resources, health and education send them."),
        why=_("To check which services you can get, so that you need not prove it yourself."),
    ),
    Purpose.SENSITIVE_FACTS: ConsentSummary(
        1,
        what=_("Your health, disability and income, and facts about your children under 14."),
        who=_("This portal, and the staff who handle your services."),
        why=_("Only to find help and services that you and your family can get."),
        withdraw=_(
            "At any time, on your consents page or at a service counter. The portal then stops using this information."
        ),
    ),
    Purpose.PROACTIVE_BENEFITS: ConsentSummary(
        1,
        what=_("Facts that departments hold about you."),
        who=_("Caseworkers of the departments that give the benefit."),
        why=_("To give you benefits without an application (免申即享), and tell you the result."),
        withdraw=_("At any time, on your consents page or at a service counter. You can also object to any decision."),
    ),
    Purpose.NOTIFY_INBOX: ConsentSummary(
        1,
        what=_("Services that may suit you, and news of your cases."),
        who=_("Only you: the messages go to your inbox on this portal."),
        why=_("So that you hear of help you can get, and how your cases are going."),
    ),
    Purpose.NOTIFY_SMS: ConsentSummary(
        1,
        what=_("Reminders and news of your cases, by text message."),
        who=_("Sent to the mobile number you registered."),
        why=_("So that you hear of help you can get, and how your cases are going, without going online."),
    ),
    Purpose.NOTIFY_COUNTER: ConsentSummary(
        1,
        what=_("Your phone number and address, and the services you may need."),
        who=_("Staff of your local government service centre."),
        why=_("To call on you or phone you when you cannot be reached online."),
    ),
}


def consent_summary(purpose: Purpose | str, notice_version: int | None) -> ConsentSummary | None:
    """The summary of this version of the purpose's notice, or None when there is none for it."""
    summary = SUMMARIES.get(Purpose(purpose))
    return summary if summary is not None and summary.notice_version == notice_version else None
