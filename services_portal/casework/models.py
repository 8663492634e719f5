"""Proactive-benefit cases (免申即享): found by data matching, decided by caseworkers."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from profiles.models import Citizen, User
from services_portal.catalog.models import ServiceItem


class CaseState(models.TextChoices):
    OPEN = "open", _("Waiting for a decision")
    AWAITING_SECOND = "awaiting_second", _("Waiting for a second approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    # the person closed their account before a decision: nobody decides it any more
    WITHDRAWN = "withdrawn", _("Withdrawn: the person closed their account")


# Waiting for a caseworker: the queue's default view, and what closing an account or withdrawing consent still changes.
UNDECIDED_STATES = (CaseState.OPEN, CaseState.AWAITING_SECOND)


class RejectionReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", _("The person does not meet the criteria")
    DATA_WRONG = "data_wrong", _("The department data is wrong or out of date")
    ALREADY_RECEIVING = "already_receiving", _("The person already receives this benefit")
    DECLINED = "declined", _("The person declined the benefit")
    OTHER = "other", _("Other reason (explained in the text)")


class ApprovalReason(models.TextChoices):
    CRITERIA_MET = "criteria_met", _("Criteria met and evidence checked")
    CRITERIA_MET_AFTER_CHECK = "criteria_met_after_check", _("Criteria met after checking with the person")


class Case(models.Model):
    """One person (or household), one proactive service, one benefit period."""

    citizen = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="cases")
    service = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="cases")
    period = models.CharField(_("benefit period"), max_length=10)
    region_code = models.CharField(max_length=6, db_index=True)
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True)
    state = models.CharField(max_length=20, choices=CaseState, default=CaseState.OPEN, db_index=True)
    evidence = models.JSONField(default=list)
    criteria = models.JSONField(default=list)
    first_approver = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["citizen", "service", "period"], name="one_case_per_period"),
        ]
        ordering = ["opened_at", "id"]

    def __str__(self) -> str:
        return f"case {self.pk}: {self.service.code} {self.period}"

    @property
    def open_to_objection(self) -> bool:
        """Whether the person may object to the case: only once it is decided, either way. An objection
        puts it back in the queue for a fresh decision (casework.services.case_object)."""
        return self.state in (CaseState.APPROVED, CaseState.REJECTED)


class CaseAction(models.TextChoices):
    OPENED = "opened", _("Opened by data matching")
    FIRST_APPROVAL = "first_approval", _("Approved, waiting for a second approver")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    OBJECTED = "objected", _("The person objected")
    EVIDENCE_REDACTED = "evidence_redacted", _("Sensitive evidence removed: the person withdrew their consent")
    WITHDRAWN = "withdrawn", _("Withdrawn: the person closed their account")


class CaseEvent(models.Model):
    """The case history: who did what, when and why. Rows are only ever added."""

    append_only = True

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20, choices=CaseAction)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason_code = models.CharField(max_length=40, blank=True)
    text = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class CaseObjection(models.Model):
    """What the person wrote when objecting (CaseAction.OBJECTED). Kept apart from the append-only
    history, whose row says that and when they objected, so that closing the account can erase the
    person's own words."""

    event = models.OneToOneField(CaseEvent, on_delete=models.PROTECT, related_name="objection")
    text = models.TextField(max_length=2000)

    def __str__(self) -> str:
        return f"objection in {self.event_id}"
