"""Ratings API: the applicant rates their ended case (好差评) and reads the rating with its follow-up;
caseworkers list and answer the follow-ups of their department and region; administrators and auditors
read satisfaction per service and per department.

Errors have the project's one shape ({"error": {"code", "message", "fields"}}): `not_found` (404),
`not_ended` and `already_rated` (409) for a rating, `already_answered` (409) for a follow-up,
`invalid_level`, `invalid_reason`, `text_required` (400)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.models import Citizen
from profiles.permissions import Allowed
from profiles.requests import AuthenticatedRequest
from profiles.selectors import citizen_of
from services_portal.casework.models import Case
from services_portal.core.api import ErrorSerializer, StrictCharField
from services_portal.ratings.models import FollowUp, RatingChannel, RatingLevel, RatingReason
from services_portal.ratings.selectors import (
    FollowUpFilter,
    follow_up_get_for,
    follow_ups_for,
    own_rated_case_get,
    rating_of,
    rating_open_to,
    satisfaction_by_department,
    satisfaction_by_service,
)
from services_portal.ratings.services import follow_up_answer, rating_submit

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


# -- outputs -------------------------------------------------------------------------------------


class RatingReasonOutput(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label


class FollowUpOutput(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    due_on = serializers.DateField()
    response = serializers.CharField(help_text="The department's answer, once given")
    answered_at = serializers.DateTimeField(allow_null=True)


class RatingOutput(serializers.Serializer):
    case = serializers.IntegerField(source="case_id")
    level = serializers.IntegerField()
    level_label = serializers.CharField(source="get_level_display")
    reasons = RatingReasonOutput(many=True, source="reason_items")
    text = serializers.CharField()
    channel = serializers.CharField()
    created_at = serializers.DateTimeField()
    follow_up = FollowUpOutput(allow_null=True, help_text="Only for a dissatisfied rating")


class MyRatingOutput(serializers.Serializer):
    """A case's rating: null until rated; `can_rate` says whether it may be rated now."""

    can_rate = serializers.BooleanField()
    rating = RatingOutput(allow_null=True)


class FollowUpRatingOutput(serializers.Serializer):
    case = serializers.IntegerField(source="case_id")
    service = serializers.CharField(source="case.service.code")
    service_name = serializers.CharField(source="case.service.name")
    region_code = serializers.CharField(source="case.region_code")
    level = serializers.IntegerField()
    level_label = serializers.CharField(source="get_level_display")
    reasons = RatingReasonOutput(many=True, source="reason_items")
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class StaffFollowUpOutput(FollowUpOutput):
    overdue = serializers.BooleanField()
    rating = FollowUpRatingOutput()
    answered_by = serializers.CharField(source="answered_by.username", allow_null=True, default=None)


class SatisfactionRowOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    ratings = serializers.IntegerField()
    satisfied = serializers.IntegerField(help_text="Very satisfied, satisfied or fairly satisfied (好评)")
    satisfied_share = serializers.FloatField(allow_null=True, help_text="satisfied / ratings, from 0 to 1")
    average_level = serializers.FloatField(allow_null=True, help_text="1 (very dissatisfied) to 5 (very satisfied)")
    dissatisfied = serializers.IntegerField(help_text="Dissatisfied or very dissatisfied (差评)")
    follow_ups_open = serializers.IntegerField()
    follow_ups_overdue = serializers.IntegerField()


class ServiceSatisfactionOutput(SatisfactionRowOutput):
    department_name = serializers.CharField(source="department")


class SatisfactionOutput(serializers.Serializer):
    departments = SatisfactionRowOutput(many=True)
    services = ServiceSatisfactionOutput(many=True)


# -- the applicant -------------------------------------------------------------------------------


class RatingInput(serializers.Serializer):
    level = serializers.ChoiceField(choices=RatingLevel.choices, help_text="5 very satisfied ... 1 very dissatisfied")
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=RatingReason.choices),
        required=False,
        default=list,
        max_length=len(RatingReason.values),
        help_text="Reasons that fit the level: good ones for 3-5, bad ones for 1-2; `other` needs the text",
    )
    text = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")


def _my_rating(citizen: Citizen, case: Case) -> dict:
    return {"can_rate": rating_open_to(citizen, case), "rating": rating_of(case)}


class MyRatingApi(APIView):
    """The rating of one of my cases: read it, or rate the case once it has ended (once). A
    dissatisfied rating opens a follow-up the department must answer by its due date."""

    permission_classes = [Allowed.to("self.manage")]
    request: AuthenticatedRequest

    @extend_schema(tags=["me"], responses={200: MyRatingOutput, **ERRORS})
    def get(self, request, case_id: int):
        citizen = citizen_of(request.user)
        case = own_rated_case_get(citizen, case_id)
        return Response(MyRatingOutput(_my_rating(citizen, case)).data)

    @extend_schema(tags=["me"], request=RatingInput, responses={201: MyRatingOutput, 409: ErrorSerializer, **ERRORS})
    def post(self, request, case_id: int):
        payload = RatingInput(data=request.data)
        payload.is_valid(raise_exception=True)
        citizen = citizen_of(request.user)
        rating_submit(citizen=citizen, case_id=case_id, channel=RatingChannel.API, **payload.validated_data)
        case = own_rated_case_get(citizen, case_id)
        return Response(MyRatingOutput(_my_rating(citizen, case)).data, status=201)


# -- caseworkers ---------------------------------------------------------------------------------


class FollowUpQueueInput(serializers.Serializer):
    show = serializers.ChoiceField(
        choices=[FollowUpFilter.OPEN, FollowUpFilter.OVERDUE, FollowUpFilter.ANSWERED, FollowUpFilter.ALL],
        required=False,
        default=FollowUpFilter.OPEN,
        help_text="open (default, by due date), overdue, answered (newest first) or all",
    )


class FollowUpQueueApi(ListAPIView):
    """The follow-ups of dissatisfied ratings that I may answer: my region and, if I belong to a
    department, its services; each says whether it is overdue."""

    permission_classes = [Allowed.to("casework.decide")]
    serializer_class = StaffFollowUpOutput
    request: AuthenticatedRequest

    @extend_schema(tags=["casework"], parameters=[FollowUpQueueInput])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return FollowUp.objects.none()
        params = FollowUpQueueInput(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        return follow_ups_for(self.request.user, **params.validated_data)


class FollowUpAnswerInput(serializers.Serializer):
    text = StrictCharField(max_length=2000, allow_blank=True, help_text="What was found and put right")


class FollowUpAnswerApi(APIView):
    """Answer a follow-up: the applicant is told in their inbox and sees the answer on their case."""

    permission_classes = [Allowed.to("casework.decide")]
    request: AuthenticatedRequest

    @extend_schema(
        tags=["casework"],
        request=FollowUpAnswerInput,
        responses={200: StaffFollowUpOutput, 409: ErrorSerializer, **ERRORS},
    )
    def post(self, request, follow_up_id: int):
        payload = FollowUpAnswerInput(data=request.data)
        payload.is_valid(raise_exception=True)
        follow_up_get_for(request.user, follow_up_id)  # 404 outside the caseworker's scope
        follow_up_answer(actor=request.user, follow_up_id=follow_up_id, text=payload.validated_data["text"])
        return Response(StaffFollowUpOutput(follow_up_get_for(request.user, follow_up_id)).data)


# -- satisfaction --------------------------------------------------------------------------------


class SatisfactionInput(serializers.Serializer):
    since = serializers.DateField(required=False, allow_null=True, default=None, help_text="Rated on or after")
    until = serializers.DateField(required=False, allow_null=True, default=None, help_text="Rated on or before")

    def validate(self, attrs: dict) -> dict:
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": ["The end must not be before the start."]})
        return attrs


class SatisfactionApi(APIView):
    """Satisfaction per department and per service for the cases in my region scope: ratings, share
    satisfied, average level, dissatisfied ratings and their follow-ups open and overdue."""

    permission_classes = [Allowed.to("ratings.report")]
    request: AuthenticatedRequest

    @extend_schema(tags=["reports"], parameters=[SatisfactionInput], responses={200: SatisfactionOutput, **ERRORS})
    def get(self, request):
        params = SatisfactionInput(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        data = {
            "departments": satisfaction_by_department(request.user, **params.validated_data),
            "services": satisfaction_by_service(request.user, **params.validated_data),
        }
        return Response(SatisfactionOutput(data).data)


urlpatterns = [
    path("me/cases/<int:case_id>/rating/", MyRatingApi.as_view(), name="api-me-case-rating"),
    path("casework/follow-ups/", FollowUpQueueApi.as_view(), name="api-follow-ups"),
    path("casework/follow-ups/<int:follow_up_id>/answer/", FollowUpAnswerApi.as_view(), name="api-follow-up-answer"),
    path("reports/satisfaction/", SatisfactionApi.as_view(), name="api-satisfaction"),
]
