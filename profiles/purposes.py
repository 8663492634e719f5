"""Consent purposes (DESIGN section 4). Each is granted and withdrawn on its own."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    PERSONALISATION = "personalisation", _("Use my profile and activity to recommend services")
    DATA_MATCHING = "data_matching", _("Receive my facts from government departments")
    SENSITIVE_FACTS = "sensitive_facts", _("Hold my sensitive facts (health, disability, income, children)")
    PROACTIVE_BENEFITS = "proactive_benefits", _("Let caseworkers assess me for benefits without an application")
    NOTIFY_INBOX = "notify_inbox", _("Notify me in my portal inbox")
    NOTIFY_SMS = "notify_sms", _("Notify me by text message")
    NOTIFY_COUNTER = "notify_counter", _("Let counter staff contact me")
