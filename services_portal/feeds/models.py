"""Batches of facts delivered by departments, and the rows they refused."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from profiles.models import User


class FeedBatch(models.Model):
    """One delivery. The department's own batch id makes delivery idempotent: the same batch again
    changes nothing and answers with the first result."""

    class Format(models.TextChoices):
        JSON = "json", "JSON"
        CSV = "csv", "CSV"

    department = models.CharField(_("department"), max_length=64)
    batch_id = models.CharField(_("batch id"), max_length=100)
    account = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    format = models.CharField(max_length=4, choices=Format)
    rows_total = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rejected_by_reason = models.JSONField(default=dict)
    people_created = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    # Casework detection for the people the batch changed is queued after commit; it is done when
    # detected_at is set. A batch whose task was lost (the broker was down) is queued again by the
    # beat task feeds.tasks.detect_pending: the list of people waits here until then.
    detect_citizen_ids = models.JSONField(default=list, blank=True)
    detected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["department", "batch_id"], name="feed_batch_unique")]
        ordering = ["-received_at"]
        verbose_name = _("feed batch")
        verbose_name_plural = _("feed batches")

    def __str__(self) -> str:
        return f"{self.department}/{self.batch_id}"


class FeedRowRejection(models.Model):
    batch = models.ForeignKey(FeedBatch, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField()
    reason = models.CharField(max_length=64)
    message = models.CharField(max_length=300)
    fact_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["batch", "row_number"]
        verbose_name = _("rejected feed row")
        verbose_name_plural = _("rejected feed rows")

    def __str__(self) -> str:
        return f"{self.batch} row {self.row_number}: {self.reason}"
