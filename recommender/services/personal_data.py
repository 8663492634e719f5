"""What the recommender holds on a person, shows them in their data export, and lets go of when their
data must go. Registered in profiles.hooks by RecommenderConfig.ready(): profiles stands below the
recommender and cannot call it."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from profiles.models import Citizen
from profiles.purposes import Purpose
from recommender.models import Interaction, ScoredList


def recommender_export_sections(citizen: Citizen) -> dict[str, Any]:
    """The person's part of their data export: what they did with services (the interactions the
    recommender learns from), after profiles' own sections."""
    return {
        "interactions": [
            {
                "service": interaction.service.code,
                "service_name": interaction.service.name,
                "kind": interaction.kind,
                "kind_label": interaction.get_kind_display(),
                "channel": interaction.channel,
                "channel_label": interaction.get_channel_display(),
                "occurred_at": timezone.localtime(interaction.occurred_at).isoformat(),
            }
            for interaction in Interaction.objects.filter(citizen=citizen).select_related("service")
        ],
    }


def recommender_consent_withdrawn(citizen: Citizen, purpose: str) -> None:
    """What batch scoring learnt of the person (and their wards) goes when personalisation consent goes."""
    if purpose == Purpose.PERSONALISATION:
        recommender_personalisation_stopped(citizen)


def recommender_personalisation_stopped(citizen: Citizen) -> None:
    ScoredList.objects.filter(Q(citizen=citizen) | Q(citizen__guardian=citizen)).delete()


def recommender_account_closed(citizen: Citizen) -> None:
    Interaction.objects.filter(citizen=citizen).delete()
    ScoredList.objects.filter(citizen=citizen).delete()
