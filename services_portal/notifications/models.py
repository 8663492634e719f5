"""What the portal tells a person: the inbox (the truth), and the outbox of pushes with one delivery
row per channel, each with its state (DESIGN section 7)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from profiles.models import Citizen
from services_portal.core.i18n import translated


class NotificationKind(models.TextChoices):
    CASE_DECISION = "case_decision", _("A decision on a benefit")
    CASE_OPENED = "case_opened", _("A benefit found for you")
    SERVICE_FOR_YOU = "service_for_you", _("A service for you")
    SECURITY = "security", _("About your account's security")


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
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.kind} for {self.citizen_id}"


class Trigger(models.TextChoices):
    """What made the portal reach out."""

    LIFE_EVENT = "life_event", _("A new life event")
    CASE_DECISION = "case_decision", _("A decision on a benefit")
    SWEEP = "sweep", _("The regular look at what you could get")
    NEW_SERVICE = "new_service", _("A new service for people like you")
    # the reach ledger's escalation rule: eligible and not yet reached (reach.services)
    REACH = "reach", _("You may be missing a service you are entitled to")


class Push(models.Model):
    """The outbox: one row per person, service and trigger, written in the same transaction as the
    change that caused it. Delivery happens after commit, channel by channel (Delivery)."""

    citizen = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="pushes", verbose_name=_("person"))
    service = models.ForeignKey(
        "catalog.ServiceItem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("service"),
    )
    trigger = models.CharField(max_length=20, choices=Trigger, verbose_name=_("trigger"))
    # person, service, trigger and what set it off (the life event and its date, the case version ...)
    idempotency_key = models.CharField(max_length=200, unique=True, verbose_name=_("idempotency key"))
    essential = models.BooleanField(
        default=False, help_text="Essential assistance goes first.", verbose_name=_("essential assistance")
    )
    title_zh = models.CharField(max_length=200, verbose_name=_("title (Chinese)"))
    title_en = models.CharField(max_length=200, verbose_name=_("title (English)"))
    body_zh = models.TextField(verbose_name=_("text (Chinese)"))
    body_en = models.TextField(verbose_name=_("text (English)"))
    link = models.CharField(max_length=200, blank=True, verbose_name=_("link"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))
    # not delivered before: quiet hours and the daily limit defer a push, never drop it
    not_before = models.DateTimeField(null=True, blank=True, db_index=True, verbose_name=_("not before"))
    routed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("routed at"))

    title = translated("title")
    body = translated("body")

    class Meta:
        ordering = ["-created_at", "-id"]
        # the daily limit counts a person's pushes routed today
        indexes = [models.Index(fields=["citizen", "routed_at"])]
        verbose_name = _("push")
        verbose_name_plural = _("pushes")

    def __str__(self) -> str:
        return self.idempotency_key


class DeliveryChannel(models.TextChoices):
    INBOX = "inbox", _("Portal inbox")
    WEBSOCKET = "websocket", _("Live on an open page")
    SMS = "sms", _("Text message")
    COUNTER = "counter", _("Service counter")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    TEMPORARY_FAILURE = "temporary_failure", _("Failed for now; will try again")
    PERMANENT_FAILURE = "permanent_failure", _("Failed")


class Delivery(models.Model):
    """One push on one channel. The state moves pending → sending → delivered (or a failure) in
    committed steps, so a worker killed mid-send leaves a row that says what it was doing."""

    push = models.ForeignKey(Push, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("push"))
    channel = models.CharField(max_length=10, choices=DeliveryChannel, verbose_name=_("channel"))
    state = models.CharField(
        max_length=20, choices=DeliveryState, default=DeliveryState.PENDING, verbose_name=_("state")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    # the channel's own id for the message: a gateway drops a second message with the same id
    external_id = models.CharField(max_length=100, blank=True, verbose_name=_("gateway message ID"))
    last_error = models.CharField(max_length=300, blank=True, verbose_name=_("last error"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["push", "channel"], name="one_delivery_per_channel")]
        indexes = [models.Index(fields=["state", "updated_at"])]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.push_id} {self.channel} {self.state}"


class Fanout(models.Model):
    """A new service published for life-event groups: written in the publishing transaction, so that
    the pushes to the groups' people are written even when the task that writes them is lost before
    it is queued (the dispatcher queues it again). Writing them twice pushes nothing twice."""

    service = models.ForeignKey(
        "catalog.ServiceItem", on_delete=models.CASCADE, related_name="+", verbose_name=_("service")
    )
    key = models.CharField(max_length=200, unique=True, verbose_name=_("key"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # when the tasks that write the pushes, a chunk of people each, were queued
    dispatched_at = models.DateTimeField(null=True, blank=True, db_index=True, verbose_name=_("dispatched at"))

    class Meta:
        verbose_name = _("new-service fan-out")
        verbose_name_plural = _("new-service fan-outs")

    def __str__(self) -> str:
        return self.key
