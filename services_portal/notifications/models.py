"""What the portal tells a person. The inbox row is the truth; delivery channels come in issue #7."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from profiles.models import Citizen


class NotificationKind(models.TextChoices):
    CASE_DECISION = "case_decision", _("A decision on a benefit")
    CASE_OPENED = "case_opened", _("A benefit found for you")


class Notification(models.Model):
    """A message for a person, written in both languages when it is created."""

    citizen = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind)
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_zh = models.TextField()
    body_en = models.TextField()
    link = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.citizen_id}"
