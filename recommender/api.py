"""The "for you" API: my suggested services with the reasons why, in the language of the request;
what I think of a suggestion (save, dismiss, not relevant); and what my app saw me do with a service.

Citizens only, their own data only: the person is always the signed-in user (`citizen_of`).
"""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from drf_spectacular.utils import extend_schema
from knox.auth import TokenAuthentication
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.permissions import Allowed
from profiles.selectors import citizen_of
from recommender import selectors
from recommender.explanations import Fallback, ForYou, Reason, ReasonKind, Source
from recommender.forms import CITIZEN_CHANNELS, FEEDBACK_ACTIONS, REPORTED_KINDS
from recommender.models import Interaction, InteractionChannel
from recommender.services.interactions import interaction_observe
from services_portal.catalog.models import ServiceItem
from services_portal.core.api import ErrorSerializer

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer}
MAX_LIMIT = 50


# -- outputs -------------------------------------------------------------------------------------


class NamedOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ServiceOutput(NamedOutput):
    department = NamedOutput()
    url = serializers.SerializerMethodField()

    def get_url(self, service: ServiceItem) -> str:
        path_ = reverse("catalog:service_detail", args=[service.code])
        request = self.context.get("request")
        return request.build_absolute_uri(path_) if request else path_


class FactBasisOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    value = serializers.CharField(help_text="As a person reads it, in the language of the request.")
    # a declared field, not Field.source: DRF's metaclass takes it off the class
    source = serializers.CharField(help_text="Where the value came from, in words.")  # type: ignore[assignment]
    department = serializers.CharField(help_text="The department that delivered it, if one did.")
    observed_on = serializers.CharField(help_text="ISO date the value was observed.")


class ReasonOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[kind.value for kind in ReasonKind])
    text = serializers.CharField(help_text="One sentence, in the language of the request.")
    life_event = serializers.CharField(help_text="The life event's code, for kind life_event.")
    facts = FactBasisOutput(many=True, help_text="The facts that made it match, each with its source.")
    criteria = serializers.ListField(child=serializers.CharField(), help_text="The eligibility criteria met.")
    services = NamedOutput(many=True, help_text="For kind collaborative: the services of mine that led here.")
    traits = serializers.ListField(child=serializers.CharField(), help_text="For kind similar_people.")


class RecommendationOutput(serializers.Serializer):
    service = ServiceOutput()
    score = serializers.FloatField()
    eligible = serializers.BooleanField(
        help_text="True: I meet every criterion. False: none failed, but a fact is missing (I may qualify)."
    )
    missing_facts = serializers.ListField(
        child=serializers.CharField(), help_text="When I may qualify: the facts to tell, to know for sure."
    )
    sources = serializers.ListField(child=serializers.ChoiceField(choices=[source.value for source in Source]))
    reasons = ReasonOutput(many=True)


class ForYouOutput(serializers.Serializer):
    personalised = serializers.BooleanField()
    fallback = serializers.ChoiceField(
        choices=[fallback.value for fallback in Fallback],
        allow_null=True,
        help_text="Why the list is not (fully) personalised; null when it is.",
    )
    model_version = serializers.IntegerField(allow_null=True)
    results = RecommendationOutput(many=True, source="items")


def _named(entry: Any) -> dict[str, str]:
    return {"code": str(entry.code), "name": str(entry.name)}


def _service_data(service: ServiceItem, request: Any) -> dict[str, Any]:
    path_ = reverse("catalog:service_detail", args=[service.code])
    return {
        **_named(service),
        "department": _named(service.department),
        "url": request.build_absolute_uri(path_) if request else path_,
    }


def _reason_data(reason: Reason) -> dict[str, Any]:
    return {
        "kind": str(reason.kind),
        "text": str(reason.text),
        "life_event": str(reason.life_event),
        "facts": [
            {
                "key": str(fact.key),
                "label": str(fact.label),
                "value": str(fact.value),
                "source": str(fact.source),
                "department": str(fact.department),
                "observed_on": str(fact.observed_on),
            }
            for fact in reason.facts
        ],
        "criteria": [str(label) for label in reason.criteria],
        "services": [_named(service) for service in reason.services],
        "traits": [str(trait) for trait in reason.traits],
    }


def for_you_data(for_you: ForYou, request: Any) -> dict[str, Any]:
    """ForYouOutput's data, built directly: DRF's nested serializers cost more than the ranking itself
    on a list of ten. ForYouOutput stays the documented schema; a test holds the two to the same output."""
    return {
        "personalised": bool(for_you.personalised),
        "fallback": None if for_you.fallback is None else str(for_you.fallback),
        "model_version": for_you.model_version,
        "results": [
            {
                "service": _service_data(item.service, request),
                "score": float(item.score),
                "eligible": bool(item.eligible),
                "missing_facts": [str(label) for label in item.missing_facts],
                "sources": [str(source) for source in item.sources],
                "reasons": [_reason_data(reason) for reason in item.reasons],
            }
            for item in for_you.items
        ],
    }


class InteractionOutput(serializers.Serializer):
    recorded = serializers.SerializerMethodField()
    id = serializers.IntegerField()
    service = NamedOutput()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    channel = serializers.CharField()
    channel_label = serializers.CharField(source="get_channel_display")
    occurred_at = serializers.DateTimeField()

    def get_recorded(self, interaction: Interaction) -> bool:
        return True


class NotRecordedOutput(serializers.Serializer):
    recorded = serializers.BooleanField(help_text="False: personalisation is off, so the portal keeps no record.")


NOT_RECORDED = {"recorded": False}


def _channel(request, given: str | None) -> str:
    """The channel the client names; if none, an app's (token) or the web's (session)."""
    if given:
        return given
    if isinstance(request.successful_authenticator, TokenAuthentication):
        return InteractionChannel.APP
    return InteractionChannel.WEB


def _stored(interaction: Interaction | None) -> Response:
    if interaction is None:
        return Response(NOT_RECORDED)
    return Response(InteractionOutput(interaction).data, status=status.HTTP_201_CREATED)


# -- views ---------------------------------------------------------------------------------------


class RecommendationsApi(APIView):
    """My suggested services, best first, each with the reasons why, in the language of the request
    (Accept-Language or the site's). Without my consent to personalisation, or with the switch off,
    the list is the same for everyone in my region (`personalised: false`, and `fallback` says why)."""

    permission_classes = [Allowed.to("self.manage")]

    class RecommendationsInput(serializers.Serializer):
        limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=MAX_LIMIT)

    @extend_schema(tags=["me"], parameters=[RecommendationsInput], responses={200: ForYouOutput, **ERRORS})
    def get(self, request):
        params = self.RecommendationsInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        for_you = selectors.recommendations_for(citizen_of(request.user), limit=params.validated_data["limit"])
        return Response(for_you_data(for_you, request))


class FeedbackApi(APIView):
    """Say what I think of a suggestion: save it, dismiss it, or say it is not relevant to me.
    A dismissed or "not relevant" service is not suggested again; this is kept even without
    personalisation. A save is kept only while personalisation is on; otherwise the answer is
    200 with `recorded: false`."""

    permission_classes = [Allowed.to("self.manage")]

    class FeedbackInput(serializers.Serializer):
        service = serializers.SlugField(max_length=80, help_text="The service's code.")
        action = serializers.ChoiceField(choices=FEEDBACK_ACTIONS)
        channel = serializers.ChoiceField(
            choices=CITIZEN_CHANNELS, required=False, help_text="Where I am: app with a token, web with a session."
        )

    @extend_schema(
        tags=["me"], request=FeedbackInput, responses={201: InteractionOutput, 200: NotRecordedOutput, **ERRORS}
    )
    def post(self, request):
        payload = self.FeedbackInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        interaction = interaction_observe(
            citizen=citizen_of(request.user),
            service_code=data["service"],
            kind=data["action"],
            channel=_channel(request, data.get("channel")),
        )
        return _stored(interaction)


class InteractionsApi(APIView):
    """Tell the portal what I did with a service in the app: viewed, saved, applied or completed,
    and when. Kept only while personalisation is on; otherwise the answer is 200 with
    `recorded: false`. A time in the future is refused."""

    permission_classes = [Allowed.to("self.manage")]

    class InteractionInput(serializers.Serializer):
        service = serializers.SlugField(max_length=80, help_text="The service's code.")
        kind = serializers.ChoiceField(choices=REPORTED_KINDS)
        channel = serializers.ChoiceField(
            choices=CITIZEN_CHANNELS, required=False, help_text="Where I am: app with a token, web with a session."
        )
        occurred_at = serializers.DateTimeField(
            required=False, help_text="When it happened, with its time zone; now if left out. Not in the future."
        )

    @extend_schema(
        tags=["me"], request=InteractionInput, responses={201: InteractionOutput, 200: NotRecordedOutput, **ERRORS}
    )
    def post(self, request):
        payload = self.InteractionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        interaction = interaction_observe(
            citizen=citizen_of(request.user),
            service_code=data["service"],
            kind=data["kind"],
            channel=_channel(request, data.get("channel")),
            occurred_at=data.get("occurred_at"),
        )
        return _stored(interaction)


urlpatterns = [
    path("me/recommendations/", RecommendationsApi.as_view(), name="api-me-recommendations"),
    path("me/recommendations/feedback/", FeedbackApi.as_view(), name="api-me-recommendations-feedback"),
    path("me/interactions/", InteractionsApi.as_view(), name="api-me-interactions"),
]
