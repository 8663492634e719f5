"""What the recommender holds on a person, and lets go of when their data must go. Registered in
profiles.hooks by RecommenderConfig.ready(): profiles stands below the recommender and cannot call it."""

from __future__ import annotations

from django.db.models import Q

from profiles.models import Citizen
from profiles.purposes import Purpose
from recommender.models import Interaction, ScoredList


def recommender_consent_withdrawn(citizen: Citizen, purpose: str) -> None:
    """What batch scoring learnt of the person (and their wards) goes when personalisation consent goes."""
    if purpose == Purpose.PERSONALISATION:
        recommender_personalisation_stopped(citizen)


def recommender_personalisation_stopped(citizen: Citizen) -> None:
    ScoredList.objects.filter(Q(citizen=citizen) | Q(citizen__guardian=citizen)).delete()


def recommender_account_closed(citizen: Citizen) -> None:
    Interaction.objects.filter(citizen=citizen).delete()
    ScoredList.objects.filter(citizen=citizen).delete()
