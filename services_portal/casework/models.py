"""Cases: applications made online or at a counter, and proactive benefits (免申即享) found by data
matching, in one model with one set of recorded transitions (docs/adr/0012-one-case-model.md):

    submitted -> accepted (受理, in review) | refused at intake (不予受理)
    in review -> returned for more (补正, with a deadline) -> resubmitted -> in review
    in review -> [awaiting a second approval] -> approved | rejected
    approved -> delivered (issued, or paid)
    any state before a decision -> withdrawn (by the applicant, or the account closed)

A proactive case starts in review: data matching is its intake.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from profiles.models import Citizen, User
from services_portal.casework.storage import material_path, private_storage
from services_portal.catalog.models import Bundle, ServiceItem


class CaseOrigin(models.TextChoices):
    ONLINE = "online", _("Applied online")
    COUNTER = "counter", _("Applied at a service counter")
    PROACTIVE = "proactive", _("Found by data matching")
    # 动态认定: a benefit in force whose person's facts no longer meet its criteria, for a caseworker to review
    REVIEW = "review", _("Re-assessment of a benefit in force")


class CaseState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted, waiting to be accepted")
    REFUSED = "refused", _("Not accepted")
    IN_REVIEW = "in_review", _("In review")
    RETURNED = "returned", _("Returned: more is needed from you")
    AWAITING_SECOND = "awaiting_second", _("Waiting for a second approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DELIVERED = "delivered", pgettext_lazy("case state", "Delivered")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Not yet decided: what closing an account or withdrawing consent still changes, what the applicant may
# withdraw, and what keeps a service out of the person's recommendations.
UNDECIDED_STATES = (CaseState.SUBMITTED, CaseState.IN_REVIEW, CaseState.RETURNED, CaseState.AWAITING_SECOND)
# Waiting for a caseworker: the queue's default view.
QUEUE_STATES = (CaseState.SUBMITTED, CaseState.IN_REVIEW, CaseState.AWAITING_SECOND)
# Over: the applicant may rate the service (好差评).
ENDED_STATES = (CaseState.REFUSED, CaseState.APPROVED, CaseState.REJECTED, CaseState.DELIVERED)
# Another application for the same service and period is refused while one of these stands.
STANDING_STATES = tuple(state for state in CaseState if state not in (CaseState.REFUSED, CaseState.WITHDRAWN))


class Application(models.Model):
    """What the person submitted at once, online or at a counter: one service, or a bundle (一件事一次办)
    split into one case per service, each routed to its department. The facts they confirmed or gave
    and the materials they uploaded are asked once and shared by its cases."""

    citizen = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="applications")
    bundle = models.ForeignKey(Bundle, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    origin = models.CharField(max_length=10, choices=CaseOrigin, default=CaseOrigin.ONLINE)
    # counter staff who submitted it for the person, after checking their ID card
    staff = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # a client's retry of the same submission (Idempotency-Key header) finds this one
    idempotency_key = models.CharField(max_length=80, blank=True)
    # the facts the person confirmed or gave: [{"fact", "value", "source", "department"}]
    facts = models.JSONField(default=list, blank=True)
    declared_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["citizen", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="one_application_per_idempotency_key",
            ),
        ]
        ordering = ["-created_at", "-id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return f"application {self.pk}"


class RejectionReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", _("The person does not meet the criteria")
    DATA_WRONG = "data_wrong", _("The department data is wrong or out of date")
    ALREADY_RECEIVING = "already_receiving", _("The person already receives this benefit")
    DECLINED = "declined", _("The person declined the benefit")
    OTHER = "other", _("Other reason (explained in the text)")


class RefusalReason(models.TextChoices):
    """Why an application is not accepted at intake (不予受理)."""

    NOT_THIS_DEPARTMENT = "not_this_department", _("Not a matter for this department")
    NOT_APPLICABLE = "not_applicable", _("The service does not apply to the person's situation")
    FORM_UNUSABLE = "form_unusable", _("The application cannot be read or is not the person's")
    OTHER = "other", _("Other reason (explained in the text)")


class ApprovalReason(models.TextChoices):
    CRITERIA_MET = "criteria_met", _("Criteria met and evidence checked")
    CRITERIA_MET_AFTER_CHECK = "criteria_met_after_check", _("Criteria met after checking with the person")


class Case(models.Model):
    """One person (or household), one service, one benefit period: applied for, or found by matching."""

    citizen = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="cases")
    service = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="cases")
    origin = models.CharField(max_length=10, choices=CaseOrigin, default=CaseOrigin.PROACTIVE)
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    # a re-assessment (origin review): the case whose benefit is in force and under review
    reviewed_case = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("reviewed case")
    )
    period = models.CharField(_("benefit period"), max_length=10)
    region_code = models.CharField(max_length=6, db_index=True)
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True)
    state = models.CharField(max_length=20, choices=CaseState, default=CaseState.IN_REVIEW, db_index=True)
    evidence = models.JSONField(default=list)
    # each criterion with its result when the case was opened: [{"key", "label_zh", "label_en", "status"}]
    criteria = models.JSONField(default=list)
    # what the rules said when the case was opened (eligible / maybe / not_eligible / open): the rules
    # advise, the department decides
    eligibility = models.CharField(max_length=12, blank=True)
    first_approver = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # the promised time limit (承诺时限): the service's processing days counted from acceptance
    due_on = models.DateField(null=True, blank=True, db_index=True)
    # 补正: what is missing (material codes and words) and the day by which to resubmit
    returned_materials = models.JSONField(default=list, blank=True)
    returned_note = models.TextField(blank=True, max_length=2000)
    resubmit_by = models.DateField(null=True, blank=True)
    # a re-assessment: the day until which the person may respond before the benefit can be stopped
    respond_by = models.DateField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # one standing case per person, service and period; a refused or withdrawn one may be followed
            models.UniqueConstraint(
                fields=["citizen", "service", "period"],
                condition=~models.Q(state__in=["refused", "withdrawn"]) & ~models.Q(origin="review"),
                name="one_case_per_period",
            ),
            # one re-assessment of a benefit at a time
            models.UniqueConstraint(
                fields=["reviewed_case"],
                condition=models.Q(origin="review", state__in=["in_review", "returned", "awaiting_second"]),
                name="one_open_review_per_case",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "region_code", "opened_at"], name="case_queue"),
            # the queue and its counts, scoped by region prefix (LIKE '4501%': pattern operators on PostgreSQL)
            # and, for a caseworker of a department, by its services (casework.selectors)
            models.Index(
                fields=["state", "region_code"], opclasses=["varchar_ops", "varchar_pattern_ops"], name="case_scope"
            ),
            models.Index(
                fields=["service", "state", "region_code"],
                opclasses=["int8_ops", "varchar_ops", "varchar_pattern_ops"],
                name="case_department_scope",
            ),
            # the queue's default view, oldest first, read in order without sorting what waits no more
            models.Index(
                fields=["opened_at", "id"],
                condition=models.Q(state__in=["submitted", "in_review", "awaiting_second"]),
                name="case_waiting_by_age",
            ),
            # "overdue only", due soonest first: the cases whose time limit runs (casework.selectors.OVERDUE_STATES)
            models.Index(
                fields=["due_on", "opened_at", "id"],
                condition=models.Q(state__in=["in_review", "awaiting_second"]),
                name="case_running_by_due_date",
            ),
        ]
        ordering = ["opened_at", "id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"case {self.pk}: {self.service.code} {self.period}"

    @property
    def open_to_objection(self) -> bool:
        """Whether the person may object to the case: only once it is decided, either way. An objection
        puts it back in the queue for a fresh decision (casework.services.case_object)."""
        return self.state in (CaseState.APPROVED, CaseState.REJECTED)


class CaseAction(models.TextChoices):
    OPENED = "opened", _("Opened by data matching")
    SUBMITTED = "submitted", _("Application submitted")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Not accepted")
    RETURNED = "returned", _("Returned for more information")
    RESUBMITTED = "resubmitted", _("More information sent")
    DELIVERED = "delivered", pgettext_lazy("case state", "Delivered")
    FIRST_APPROVAL = "first_approval", _("Approved, waiting for a second approver")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    OBJECTED = "objected", _("The person objected")
    EVIDENCE_REDACTED = "evidence_redacted", _("Sensitive evidence removed: the person withdrew their consent")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # re-assessment (动态认定, casework.services.reassessment)
    REVIEW_OPENED = "review_opened", _("Opened for re-assessment: the records no longer meet the criteria")
    RESPONDED = "responded", _("The person responded")
    BENEFIT_KEPT = "benefit_kept", _("Re-assessed: the benefit continues")
    BENEFIT_STOPPED = "benefit_stopped", _("Re-assessed: the benefit stops")


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
        verbose_name = _("case history entry")
        verbose_name_plural = _("case history entries")

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class CaseObjection(models.Model):
    """What the person wrote on a history row of theirs: objecting (CaseAction.OBJECTED) or sending what
    was missing (CaseAction.RESUBMITTED). Kept apart from the append-only history, whose row says that
    and when, so that closing the account can erase the person's own words."""

    event = models.OneToOneField(CaseEvent, on_delete=models.PROTECT, related_name="objection")
    text = models.TextField(max_length=2000)

    class Meta:
        verbose_name = _("applicant's reply on a case")
        verbose_name_plural = _("applicants' replies on cases")

    def __str__(self) -> str:
        return f"objection in {self.event_id}"


class MaterialFile(models.Model):
    """A material the applicant uploaded (or counter staff scanned at the desk) for an application, one
    file a material and a submission: a resubmission adds files, never replaces them. Kept in private
    storage, served only to the applicant and to staff who may see the case (each staff read logged)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="files")
    # the catalog material's code (ServiceItem.materials[*]["code"])
    material = models.CharField(max_length=80)
    file = models.FileField(storage=private_storage, upload_to=material_path, max_length=200)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    pages = models.PositiveSmallIntegerField(default=1)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("material file")
        verbose_name_plural = _("material files")

    def __str__(self) -> str:
        return f"{self.material} of application {self.application_id}"
