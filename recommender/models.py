"""The recommender's records: the interaction log (implicit feedback), the model registry and the
stored results of batch scoring."""

from __future__ import annotations

import numpy as np
from django.db import models
from django.utils.translation import gettext_lazy as _

from profiles.models import Citizen
from services_portal.catalog.models import ServiceItem


class InteractionKind(models.TextChoices):
    VIEW = "view", _("Viewed")
    SAVE = "save", _("Saved")
    APPLY = "apply", _("Applied")
    COMPLETE = "complete", _("Completed")
    DISMISS = "dismiss", _("Dismissed")
    NOT_RELEVANT = "not_relevant", _("Not relevant")


# How strongly each kind says "this person wants this service", as ALS confidence. Dismissals and
# "not relevant" are not positive feedback at all: they filter the service out instead.
INTERACTION_WEIGHTS: dict[str, float] = {
    InteractionKind.VIEW: 1.0,
    InteractionKind.SAVE: 3.0,
    InteractionKind.APPLY: 5.0,
    InteractionKind.COMPLETE: 6.0,
}
POSITIVE_KINDS = frozenset(INTERACTION_WEIGHTS)
NEGATIVE_KINDS = frozenset({InteractionKind.DISMISS, InteractionKind.NOT_RELEVANT})
DONE_KINDS = frozenset({InteractionKind.APPLY, InteractionKind.COMPLETE})


class InteractionChannel(models.TextChoices):
    WEB = "web", _("Web")
    APP = "app", _("App")
    COUNTER = "counter", _("Service counter")


class Interaction(models.Model):
    """One thing a person did with a service: the implicit feedback the models learn from."""

    citizen = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="interactions")
    service = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("what they did"), max_length=16, choices=InteractionKind)
    channel = models.CharField(_("channel"), max_length=10, choices=InteractionChannel)
    occurred_at = models.DateTimeField(_("when"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["citizen", "occurred_at"]),
            models.Index(fields=["occurred_at"]),
        ]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")

    def __str__(self) -> str:
        return f"{self.citizen_id} {self.kind} {self.service_id}"


class ModelStatus(models.TextChoices):
    TRAINED = "trained", _("Trained, not yet served")
    ACTIVE = "active", _("Serving")
    RETIRED = "retired", _("Served before")
    REJECTED = "rejected", _("Worse than the model serving")
    FAILED = "failed", _("Training failed")


class RecommenderModel(models.Model):
    """A trained model: a versioned artifact with the data it saw, its parameters and its metrics.
    At most one is active; serving swaps to a new one in one transaction."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=ModelStatus, default=ModelStatus.TRAINED)
    artifact = models.FileField(_("artifact"), upload_to="recommender/models/", blank=True)
    checksum = models.CharField(_("SHA-256 of the artifact"), max_length=64, blank=True)
    window_start = models.DateTimeField(_("training data from"))
    window_end = models.DateTimeField(_("training data until"))
    holdout_end = models.DateTimeField(_("hold-out until"))
    parameters = models.JSONField(_("parameters"), default=dict)
    metrics = models.JSONField(_("hold-out metrics"), default=dict)
    people_count = models.PositiveIntegerField(_("people trained on"), default=0)
    interaction_count = models.PositiveIntegerField(_("interactions trained on"), default=0)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    activated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("activated at"))

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="one_active_recommender_model"
            )
        ]
        verbose_name = _("recommender model")
        verbose_name_plural = _("recommender models")

    def __str__(self) -> str:
        return f"v{self.version} ({self.status})"


# Each source's share of a stored item's score, in this order: the columns of ScoredList.shares.
SCORED_SOURCES = ("rules", "als", "lightfm", "popularity")


class ScoredList(models.Model):
    """One person's ranked candidates from the last batch scoring, kept for serving.

    Stored as arrays, not one JSON object an item: `services` holds the items' positions in the
    model's item order (int32, best first) and `shares` each source's share of their score (float32,
    one row an item, columns SCORED_SOURCES); an item's score is the sum of its shares. The reasons
    are worked out when the list is shown, from the facts and consents in force then."""

    citizen = models.OneToOneField(Citizen, on_delete=models.CASCADE, related_name="scored_list")
    model = models.ForeignKey(RecommenderModel, on_delete=models.CASCADE, related_name="+")
    services = models.BinaryField(default=bytes)
    shares = models.BinaryField(default=bytes)
    scored_at = models.DateTimeField()

    class Meta:
        verbose_name = _("scored list")
        verbose_name_plural = _("scored lists")

    def __str__(self) -> str:
        return f"{self.citizen_id} by v{self.model_id}"

    @property
    def positions(self) -> np.ndarray:
        """(k,) int32: the stored items' positions in the model's item order, best first."""
        return np.frombuffer(bytes(self.services), dtype="<i4")

    @property
    def share_matrix(self) -> np.ndarray:
        """(k, sources) float32: each source's share of each stored item's score."""
        return np.frombuffer(bytes(self.shares), dtype="<f4").reshape(-1, len(SCORED_SOURCES))

    @staticmethod
    def encode(positions: np.ndarray, shares: np.ndarray) -> tuple[bytes, bytes]:
        """The two stored fields of a list: positions (k,) and shares (k, sources)."""
        return (
            np.ascontiguousarray(positions, dtype="<i4").tobytes(),
            np.ascontiguousarray(shares, dtype="<f4").tobytes(),
        )
