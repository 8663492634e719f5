"""Screener API: POST facts, get every service's eligibility with reasons. Nothing is stored."""

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from services_portal.core.api import ErrorSerializer
from services_portal.core.errors import PortalError
from services_portal.eligibility.engine import Outcome
from services_portal.screener.screening import NextQuestion, ScreenedService, screener_answers_clean, screener_run


class ScreenerInput(serializers.Serializer):
    facts = serializers.DictField(
        help_text="Fact key to value, as in GET /api/v1/facts/. 'age' may stand in for 'birth_date'. A list fact "
        "given as [] is the answer 'none' (children_birth_dates: [] means no children); leave a key out for a "
        "question not answered."
    )
    as_of = serializers.DateField(
        required=False,
        input_formats=["iso-8601"],
        help_text="The date to screen for (YYYY-MM-DD): derived facts such as the age from 'birth_date' are "
        "taken as of this date. A stated 'age' is used as given. Default: today in China (Asia/Shanghai).",
    )


class FactRequestOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    question = serializers.CharField()


class CriterionResultOutput(serializers.Serializer):
    key = serializers.CharField()
    # a declared field, not Field.label: DRF's metaclass takes it off the class
    label = serializers.CharField(source="criterion.label")  # type: ignore[assignment]
    status = serializers.ChoiceField(choices=["met", "not_met", "unknown"])


class ScreenedServiceOutput(serializers.Serializer):
    code = serializers.CharField(source="service.code")
    name = serializers.CharField(source="service.name")
    outcome = serializers.ChoiceField(choices=[outcome.value for outcome in Outcome], source="eligibility.outcome")
    essential = serializers.BooleanField(source="service.essential")
    criteria = CriterionResultOutput(many=True, source="eligibility.results")
    tell_us = serializers.SerializerMethodField()

    def get_tell_us(self, item: ScreenedService) -> list[dict]:
        # many=True makes a ListSerializer, whose data is a list; the stubs type it as the single serializer's dict
        return FactRequestOutput(item.ask_for, many=True).data  # type: ignore[return-value]


class NextQuestionOutput(FactRequestOutput):
    settles = serializers.ListField(
        child=serializers.CharField(),
        help_text="Codes of the 'maybe' services this answer alone decides: it is all they are missing.",
    )
    narrows = serializers.ListField(
        child=serializers.CharField(),
        help_text="Codes of the 'maybe' services it brings closer: they need other answers too.",
    )

    def to_representation(self, instance: NextQuestion) -> dict:
        return {
            "key": instance.key,
            "label": str(instance.label),
            "question": str(instance.question.question),
            "settles": [item.service.code for item in instance.settles],
            "narrows": [item.service.code for item in instance.narrows],
        }


class ScreenerOutput(serializers.Serializer):
    reference_date = serializers.DateField(help_text="The date the answers were screened for: 'as_of', or today.")
    eligible = ScreenedServiceOutput(
        many=True,
        help_text="Every criterion met; the most relevant first: essential assistance, then services of more of the "
        "life events the facts put the person in, then those whose met criteria rest on more of the facts given.",
    )
    maybe = ScreenedServiceOutput(
        many=True,
        help_text="None failed, but a fact is missing: see 'tell_us', and each criterion's status (met or "
        "unknown). Ranked as 'eligible'.",
    )
    not_eligible = ScreenedServiceOutput(many=True)
    open = ScreenedServiceOutput(many=True, help_text="Services without criteria: open to everyone.")
    next_question = NextQuestionOutput(
        allow_null=True,
        help_text="The next best question: the unknown fact whose answer would decide the most 'maybe' services, "
        "essential ones counting three times. Each 'maybe' service shares its weight equally among the facts it "
        "is missing; equal values keep the order of GET /api/v1/facts/. 'key' is what to send in 'facts' "
        "('age' for a date of birth). Null when nothing is 'maybe'.",
    )


class ScreenerApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=ScreenerInput, responses={200: ScreenerOutput, 400: ErrorSerializer})
    def post(self, request):
        payload = ScreenerInput(data=request.data)
        payload.is_valid(raise_exception=True)
        today = timezone.localdate()
        as_of = payload.validated_data.get("as_of", today)
        try:
            answers = screener_answers_clean(payload.validated_data["facts"], today=today)
        except PortalError as error:
            fields = {f"facts.{key}": messages for key, messages in error.fields.items()}
            raise PortalError(error.code, error.message, fields=fields) from None
        return Response(ScreenerOutput(screener_run(answers=answers, on=as_of)).data)


urlpatterns = [path("screener/", ScreenerApi.as_view(), name="api-screener")]
