"""The reach ledger (应享未享, DESIGN sections 11 and 12): for each person and each service the population
evaluator finds them eligible for, when they became eligible, when and how they were first reached, when
they applied (or a proactive case was opened), when it was decided and when delivered; and the daily
figures taken from it for the operator's view.

The ledger's steps after eligibility are read from the rows the other apps already write (an inbox row
read, a text message delivered, an outreach task's outcome, a case's times), not kept by hand.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from profiles.models import Citizen
from services_portal.catalog.models import ServiceItem


class ReachChannel(models.TextChoices):
    """How a person first heard of a service they are eligible for."""

    INBOX = "inbox_read", _("Read it in the portal inbox")
    SMS = "sms_delivered", _("A text message was delivered")
    COUNTER_PHONE = "counter_phone", _("Counter staff reached them by phone")
    VISIT = "visit", _("Visited at home")
    APPLIED = "applied", _("Applied before being told")
    CASE_OPENED = "case_opened", _("A case was opened for them by data matching")


class ReachEntry(models.Model):
    """One person, one service they are (or were) eligible for: the steps of the loop with their times."""

    citizen = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="reach_entries")
    service = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="reach_entries")
    # the person's county (or the finest code known) when last evaluated, for the figures by region
    region_code = models.CharField(max_length=6, db_index=True)
    # reach.groups: vulnerable groups and life events the person was in when last evaluated
    groups = models.BigIntegerField(default=0)
    eligible_at = models.DateTimeField(db_index=True)
    # the evaluation found them no longer eligible (the row stays, for the figures of its time)
    eligible_until = models.DateTimeField(null=True, blank=True)
    reached_at = models.DateTimeField(null=True, blank=True)
    reached_channel = models.CharField(max_length=20, choices=ReachChannel, blank=True)
    # the escalation rule: how many times the portal went after them, and when last
    escalation_step = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["citizen", "service"], name="one_reach_entry_per_service")]
        indexes = [
            # the escalation rule's look for people not reached in time
            models.Index(
                fields=["eligible_at"],
                condition=models.Q(reached_at__isnull=True, eligible_until__isnull=True),
                name="reach_not_reached",
            ),
            models.Index(fields=["service", "region_code"], name="reach_service_region"),
        ]
        verbose_name = _("reach ledger entry")
        verbose_name_plural = _("reach ledger entries")

    def __str__(self) -> str:
        return f"{self.citizen_id} {self.service_id}"


class ReachFigure(models.Model):
    """The figures of one day, county, service and group, taken from the ledger (reach_figures_take): what
    the operator's view and its exports add up by region. Counts only: no person in them."""

    on = models.DateField(db_index=True)
    region_code = models.CharField(max_length=6)
    service = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="+")
    # "all", a vulnerable group's code, or "life:<life event code>" (reach.groups)
    group = models.CharField(max_length=72)
    eligible = models.PositiveIntegerField(default=0)
    # reached within REACH_WITHIN_DAYS of becoming eligible, of those eligible at least that long
    reached_in_time = models.PositiveIntegerField(default=0)
    due = models.PositiveIntegerField(default=0, help_text="eligible for at least REACH_WITHIN_DAYS")
    reached = models.PositiveIntegerField(default=0)
    applied = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["on", "region_code", "service", "group"], name="one_reach_figure")
        ]
        indexes = [models.Index(fields=["on", "group", "region_code"], name="reach_figure_by_group")]
        verbose_name = _("reach figure")
        verbose_name_plural = _("reach figures")

    def __str__(self) -> str:
        return f"{self.on} {self.region_code} {self.service_id} {self.group}"
