"""The counter desk (线下兜底): outreach tasks for people the portal cannot reach online."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from profiles.models import Citizen, User


class OutreachReason:
    """Why a push went to the counter: the code stored on the outreach task, and its label."""

    NOT_ONLINE = "not_online"
    NO_CHANNEL_CONSENT = "no_channel_consent"
    CHOSE_COUNTER = "chose_counter"
    EARLIER_CHANNELS_FAILED = "earlier_channels_failed"
    PAYMENT_FAILED = "payment_failed"
    # the reach ledger's escalation rule: eligible, not reached in time by the channels before
    NOT_REACHED_IN_TIME = "not_reached_in_time"

    LABELS = {
        NOT_ONLINE: _("Has not used the portal online lately"),
        NO_CHANNEL_CONSENT: _("Has not agreed to be told online or by text message"),
        CHOSE_COUNTER: _("Asked to be contacted by the counter"),
        EARLIER_CHANNELS_FAILED: _("Could not be reached online or by text message"),
        PAYMENT_FAILED: _("A benefit payment failed: help them check their bank account"),
        NOT_REACHED_IN_TIME: _("Eligible but not reached in time by the portal or text message"),
    }


class OutreachOutcome(models.TextChoices):
    OPEN = "open", _("Not yet contacted")
    REACHED_BY_PHONE = "reached_by_phone", _("Reached by phone")
    VISITED = "visited", _("Visited")
    DECLINED = "declined", _("Declined")
    UNREACHABLE = "unreachable", _("Could not be reached")


class OutreachTask(models.Model):
    """Counter staff of the person's area contact them about a service the portal could not bring
    to them digitally (not online lately, no channel consent, or they chose the counter)."""

    citizen = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="outreach_tasks")
    push = models.OneToOneField(
        "notifications.Push", null=True, blank=True, on_delete=models.SET_NULL, related_name="outreach_task"
    )
    service = models.ForeignKey("catalog.ServiceItem", on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(_("region"), max_length=6, db_index=True)
    essential = models.BooleanField(_("essential assistance"), default=False)
    reason = models.CharField(_("why the counter"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=OutreachOutcome, default=OutreachOutcome.OPEN)
    # when the outcome was recorded: the reach ledger's "reached at" for a call or a visit
    outcome_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)
    # since when the person has been eligible without being reached (the reach ledger): the list's urgency
    eligible_since = models.DateTimeField(_("eligible since"), null=True, blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    handled_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # essential assistance first, then the oldest
        ordering = ["-essential", "created_at", "id"]
        verbose_name = _("outreach task")
        verbose_name_plural = _("outreach tasks")

    def __str__(self) -> str:
        return f"outreach {self.citizen_id} {self.service_id} {self.outcome}"
