"""Casework API: the caseworkers' queue and decisions, and a citizen's own cases and objections.

Caseworkers see only cases in their region scope; opening one is logged in the person's access log.
A decision carries the case version the caseworker saw: a stale one answers 409 (`conflict`).
A citizen's own cases are found from the signed-in user (`citizen_of`), never from an id alone.
"""

from __future__ import annotations

import datetime
from functools import cached_property
from typing import Any

from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.display import fact_value_display, field_label
from profiles.models import AccessChannel
from profiles.permissions import Allowed
from profiles.requests import AuthenticatedRequest
from profiles.selectors import citizen_of, department_names
from services_portal.casework.api_applications import urlpatterns as applications_urlpatterns
from services_portal.casework.models import (
    ApprovalReason,
    Case,
    CaseEvent,
    CaseOrigin,
    CaseState,
    MaterialFile,
    RefusalReason,
    RejectionReason,
)
from services_portal.casework.selectors import (
    QueueSort,
    QueueView,
    case_files,
    case_get_for,
    case_overdue,
    case_queue_for,
    cases_of,
    citizen_case_get,
    event_text,
    queue_counts_for,
)
from services_portal.casework.services import (
    case_accept,
    case_approve,
    case_deliver,
    case_object,
    case_refuse,
    case_reject,
    case_return,
    review_respond,
)
from services_portal.core.api import ErrorSerializer, StrictBooleanField
from services_portal.core.i18n import active_suffix, pick
from services_portal.reference import regions

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


# -- outputs -------------------------------------------------------------------------------------


class CaseServiceOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CaseEvidenceOutput(serializers.Serializer):
    """A stored fact that made a criterion met, as it was when the case was opened."""

    fact = serializers.CharField()
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a declared field, not Field.label
    value = serializers.JSONField()
    value_display = serializers.SerializerMethodField()
    source = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.source
    department = serializers.CharField()
    department_name = serializers.SerializerMethodField()
    observed_at = serializers.DateTimeField()
    criterion = serializers.CharField()
    value_before = serializers.JSONField(
        default=None,
        allow_null=True,
        help_text="A re-assessment: the value before the current one, when the history has one",
    )
    value_before_display = serializers.SerializerMethodField()
    observed_before = serializers.DateTimeField(default=None, allow_null=True)

    def get_label(self, item: dict) -> str:
        return field_label(item["fact"])

    def get_value_display(self, item: dict) -> str:
        return fact_value_display(item["fact"], item["value"])

    def get_value_before_display(self, item: dict) -> str | None:
        before = item.get("value_before")
        return fact_value_display(item["fact"], before) if before is not None else None

    def get_department_name(self, item: dict) -> str:
        return self.context.get("departments", {}).get(item["department"], item["department"])


class CaseCriterionOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a declared field, not Field.label
    status = serializers.ChoiceField(
        choices=["met", "not_met", "unknown"], default="met", help_text="What the rules said"
    )

    def get_label(self, item: dict) -> str:
        return item.get(f"label_{active_suffix()}") or item.get("label_zh", "")


class CaseEventOutput(serializers.Serializer):
    action = serializers.CharField()
    action_label = serializers.CharField(source="get_action_display")
    reason_code = serializers.CharField()
    reason_label = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_text(self, event: CaseEvent) -> str:
        return event_text(event)

    def get_reason_label(self, event: CaseEvent) -> str:
        for reasons in (ApprovalReason, RejectionReason, RefusalReason):
            if event.reason_code in reasons.values:
                return str(reasons(event.reason_code).label)
        return ""


class StaffCaseEventOutput(CaseEventOutput):
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)


class CaseSummaryOutput(serializers.Serializer):
    """A queue row: no personal data beyond the region, so listing the queue is not a read of anyone."""

    id = serializers.IntegerField()
    service = CaseServiceOutput()
    period = serializers.CharField()
    region_code = serializers.CharField()
    region_name = serializers.SerializerMethodField()
    amount_cny = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    origin = serializers.ChoiceField(choices=CaseOrigin.choices)
    origin_label = serializers.CharField(source="get_origin_display")
    eligibility = serializers.CharField(help_text="What the rules said: eligible, maybe, not_eligible, open")
    version = serializers.IntegerField()
    first_approver = serializers.CharField(source="first_approver.username", allow_null=True, default=None)
    opened_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    due_on = serializers.DateField(allow_null=True, help_text="The promised time limit (承诺时限)")
    overdue = serializers.SerializerMethodField()
    returned_materials = serializers.ListField(child=serializers.CharField(), help_text="Material codes (补正)")
    returned_note = serializers.CharField()
    resubmit_by = serializers.DateField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    reviewed_case_id = serializers.IntegerField(
        allow_null=True, help_text="A re-assessment (origin review): the case of the benefit under review"
    )
    respond_by = serializers.DateField(
        allow_null=True, help_text="A re-assessment: the person may respond until this day; no stop before"
    )

    def get_region_name(self, case: Case) -> str:
        return regions.display_name(case.region_code) if case.region_code else ""

    def get_overdue(self, case: Case) -> bool:
        return case_overdue(case, self.context.get("today"))


class CasePersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    resident_id_masked = serializers.CharField()
    name = serializers.CharField()
    region_code = serializers.CharField()


class ApplicationFactOutput(serializers.Serializer):
    """A fact the applicant confirmed or gave in their application, with its source."""

    fact = serializers.CharField()
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a declared field, not Field.label
    value = serializers.JSONField(allow_null=True, default=None)
    value_display = serializers.SerializerMethodField()
    source = serializers.CharField(default="")  # type: ignore[assignment]  # a declared field, not Field.source
    department = serializers.CharField(default="")

    def get_label(self, item: dict) -> str:
        return field_label(item["fact"])

    def get_value_display(self, item: dict) -> str:
        return fact_value_display(item["fact"], item.get("value"))


class MaterialFileOutput(serializers.Serializer):
    id = serializers.IntegerField()
    material = serializers.CharField(help_text="The catalog material's code")
    material_name = serializers.SerializerMethodField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    pages = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="Staff download (each read logged)")

    def get_material_name(self, file: MaterialFile) -> str:
        return self.context.get("material_names", {}).get(file.material, file.material)

    def get_url(self, file: MaterialFile) -> str | None:
        try:
            return reverse("casework:material_file", args=[file.pk])
        except NoReverseMatch:  # file serving not mounted
            return None


class CaseDetailOutput(CaseSummaryOutput):
    person = CasePersonOutput(source="citizen")
    evidence = CaseEvidenceOutput(many=True)
    criteria = CaseCriterionOutput(many=True)
    application_id = serializers.IntegerField(allow_null=True)
    facts = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()
    materials_required = serializers.SerializerMethodField()
    history = StaffCaseEventOutput(many=True, source="events.all")

    @extend_schema_field(ApplicationFactOutput(many=True))
    def get_facts(self, case: Case) -> list[dict]:
        facts = case.application.facts if case.application is not None else []
        return list(ApplicationFactOutput(facts, many=True).data)

    @extend_schema_field(MaterialFileOutput(many=True))
    def get_materials(self, case: Case) -> list[dict]:
        names = {material["code"]: pick(material) for material in case.service.materials}
        return list(MaterialFileOutput(case_files(case), many=True, context={"material_names": names}).data)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_materials_required(self, case: Case) -> list[str]:
        """The codes of the materials the applicant must upload (not the shared e-licences)."""
        return [m["code"] for m in case.service.materials if m.get("required", True) and not m.get("shared", False)]


class MyCaseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    service = CaseServiceOutput()
    period = serializers.CharField()
    amount_cny = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    origin = serializers.ChoiceField(choices=CaseOrigin.choices)
    can_object = serializers.SerializerMethodField()
    can_respond = serializers.SerializerMethodField(help_text="A re-assessment not yet decided: POST response/")
    reviewed_case_id = serializers.IntegerField(allow_null=True)
    respond_by = serializers.DateField(allow_null=True)
    opened_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)

    def get_can_object(self, case: Case) -> bool:
        return case.open_to_objection

    def get_can_respond(self, case: Case) -> bool:
        return case.origin == CaseOrigin.REVIEW and case.state in (CaseState.IN_REVIEW, CaseState.AWAITING_SECOND)


class MyCaseDetailOutput(MyCaseOutput):
    evidence = CaseEvidenceOutput(many=True)
    criteria = CaseCriterionOutput(many=True)
    history = CaseEventOutput(many=True, source="events.all")


def _departments() -> dict[str, Any]:
    return {"departments": department_names()}


# -- caseworkers ---------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "enum": ["", *(region.code for region in regions.all_regions())]})
class RegionCodeField(serializers.CharField):
    """A region code the portal knows: the schema lists them."""


class CaseQueueInput(serializers.Serializer):
    service = serializers.SlugField(required=False, allow_blank=True, default="")
    region = RegionCodeField(required=False, allow_blank=True, default="", help_text="A region code")
    state = serializers.ChoiceField(
        choices=[*CaseState.values, QueueView.DECIDED],
        required=False,
        allow_blank=True,
        default=QueueView.WAITING,
        help_text="Default: waiting for a caseworker (submitted, in review, awaiting a second approval); "
        "`decided`: refused, approved, rejected or delivered",
    )
    origin = serializers.ChoiceField(choices=CaseOrigin.values, required=False, allow_blank=True, default="")
    overdue = StrictBooleanField(required=False, default=False, help_text="Only cases past their time limit")
    sort = serializers.ChoiceField(
        choices=[QueueSort.AGE, QueueSort.DUE, QueueSort.AMOUNT, QueueSort.REGION],
        required=False,
        default=QueueSort.AGE,
        help_text="Oldest first, due soonest first, largest amount first, or by region code",
    )

    def validate_region(self, value: str) -> str:
        if value and regions.get(value) is None:
            raise serializers.ValidationError(_("Not a region code the portal knows."))
        return value


class CaseworkApi(APIView):
    permission_classes = [Allowed.to("casework.decide")]
    request: AuthenticatedRequest


class CaseQueueApi(CaseworkApi, ListAPIView):
    """The cases waiting for a caseworker within my region scope and department; filter by state,
    origin, service, region or overdue only."""

    serializer_class = CaseSummaryOutput

    @extend_schema(tags=["casework"], parameters=[CaseQueueInput])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Case.objects.none()
        # a plain dict: from a QueryDict DRF would take `?sort=` as "not given" where the schema says invalid
        params = CaseQueueInput(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        return case_queue_for(self.request.user, today=self._today, **params.validated_data)

    @cached_property
    def _today(self) -> datetime.date:
        return timezone.localdate()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": self._today}


class QueueCountsOutput(serializers.Serializer):
    waiting = serializers.IntegerField(help_text="Waiting for a caseworker")
    overdue = serializers.IntegerField(help_text="Of those, past their time limit")
    returned = serializers.IntegerField(help_text="Returned, waiting for the applicant (补正)")
    submitted = serializers.IntegerField(help_text="Submitted, waiting to be accepted (受理)")


class CaseQueueCountsApi(CaseworkApi):
    """What waits within my region scope and department, counted."""

    @extend_schema(tags=["casework"], responses={200: QueueCountsOutput, **ERRORS})
    def get(self, request):
        return Response(QueueCountsOutput(queue_counts_for(request.user)).data)


class CaseDetailApi(CaseworkApi):
    """A case with its evidence, criteria and history. Opening it is logged in the person's access log."""

    @extend_schema(tags=["casework"], responses={200: CaseDetailOutput, **ERRORS})
    def get(self, request, case_id: int):
        case = case_get_for(request.user, case_id, getattr(request, "request_id", ""), channel=AccessChannel.API)
        return Response(CaseDetailOutput(case, context=_departments()).data)


class CaseDecisionInput(serializers.Serializer):
    # A code, not text: the pattern keeps the schema honest (a bare CharField would trim "\x85" to blank).
    reason_code = serializers.RegexField(r"^[a-z_]+$", max_length=40)
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    version = serializers.IntegerField(min_value=1, help_text="The case version you decided on")


DECISION_SCHEMA: dict[str, Any] = {
    "tags": ["casework"],
    "request": CaseDecisionInput,
    "responses": {200: CaseSummaryOutput, 409: ErrorSerializer, **ERRORS},
}


class CaseStepInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The case version you acted on")


class CaseDeliverInput(CaseStepInput):
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CaseReturnInput(CaseStepInput):
    materials = serializers.ListField(
        child=serializers.RegexField(r"^[a-z0-9_-]+$", max_length=80),
        required=False,
        default=list,
        help_text="Codes of the service's materials that are missing",
    )
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    resubmit_by = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="After today; default today + CASE_RESUBMIT_DAYS"
    )


def _step_schema(request: type[serializers.Serializer]) -> dict[str, Any]:
    return {**DECISION_SCHEMA, "request": request}


class CaseAcceptApi(CaseworkApi):
    """Accept a submitted application (受理): its promised time limit starts today."""

    @extend_schema(**_step_schema(CaseStepInput))
    def post(self, request, case_id: int):
        payload = CaseStepInput(data=request.data)
        payload.is_valid(raise_exception=True)
        case = case_accept(case_id=case_id, actor=request.user, **payload.validated_data)
        return Response(CaseSummaryOutput(case).data)


class CaseRefuseApi(CaseworkApi):
    """Refuse a submitted application at intake (不予受理) with a listed reason (`other` needs the text):
    `not_this_department`, `not_applicable`, `form_unusable`, `other`."""

    @extend_schema(**DECISION_SCHEMA)
    def post(self, request, case_id: int):
        payload = CaseDecisionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        case = case_refuse(case_id=case_id, actor=request.user, **payload.validated_data)
        return Response(CaseSummaryOutput(case).data)


class CaseReturnApi(CaseworkApi):
    """Return an application for more (补正): the missing materials' codes and/or a text, and the day
    by which to resubmit."""

    @extend_schema(**_step_schema(CaseReturnInput))
    def post(self, request, case_id: int):
        payload = CaseReturnInput(data=request.data)
        payload.is_valid(raise_exception=True)
        case = case_return(case_id=case_id, actor=request.user, **payload.validated_data)
        return Response(CaseSummaryOutput(case).data)


class CaseDeliverApi(CaseworkApi):
    """Record an approved case as delivered (issued). A benefit that pays money is delivered by payments."""

    @extend_schema(**_step_schema(CaseDeliverInput))
    def post(self, request, case_id: int):
        payload = CaseDeliverInput(data=request.data)
        payload.is_valid(raise_exception=True)
        case = case_deliver(case_id=case_id, actor=request.user, **payload.validated_data)
        return Response(CaseSummaryOutput(case).data)


class CaseApproveApi(CaseworkApi):
    """Approve: above the threshold, a first approval waits for a second, different caseworker.
    Reasons: `criteria_met`, `criteria_met_after_check`."""

    @extend_schema(**DECISION_SCHEMA)
    def post(self, request, case_id: int):
        payload = CaseDecisionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        case = case_approve(case_id=case_id, actor=request.user, **payload.validated_data)
        return Response(CaseSummaryOutput(case).data)


class CaseRejectApi(CaseworkApi):
    """Reject with a listed reason (`other` needs the text)."""

    @extend_schema(**DECISION_SCHEMA)
    def post(self, request, case_id: int):
        payload = CaseDecisionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        case = case_reject(case_id=case_id, actor=request.user, **payload.validated_data)
        return Response(CaseSummaryOutput(case).data)


# -- the citizen's own cases ---------------------------------------------------------------------


class MyCaseListApi(ListAPIView):
    """Benefits the portal found for me, newest first, with their state."""

    permission_classes = [Allowed.to("self.manage")]
    serializer_class = MyCaseOutput
    request: AuthenticatedRequest

    @extend_schema(tags=["me"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Case.objects.none()
        return cases_of(citizen_of(self.request.user))


class MyCaseApi(APIView):
    """One of my cases: the facts it rests on, the criteria, and what happened when."""

    permission_classes = [Allowed.to("self.manage")]

    @extend_schema(tags=["me"], responses={200: MyCaseDetailOutput, **ERRORS})
    def get(self, request, case_id: int):
        case = citizen_case_get(citizen_of(request.user), case_id)
        return Response(MyCaseDetailOutput(case, context=_departments()).data)


class ObjectionApi(APIView):
    """Object to a decision: the case goes back to a caseworker for a fresh decision."""

    permission_classes = [Allowed.to("self.manage")]

    class ObjectionInput(serializers.Serializer):
        text = serializers.CharField(max_length=2000, allow_blank=True)

    @extend_schema(tags=["me"], request=ObjectionInput, responses={200: MyCaseDetailOutput, **ERRORS})
    def post(self, request, case_id: int):
        payload = self.ObjectionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        citizen = citizen_of(request.user)
        case_object(citizen=citizen, case_id=case_id, text=payload.validated_data["text"])
        return Response(MyCaseDetailOutput(citizen_case_get(citizen, case_id), context=_departments()).data)


class ReviewResponseApi(APIView):
    """Respond to a re-assessment of my benefit (动态认定) before it is decided: the caseworker reads it;
    the benefit cannot be stopped before I respond or my time to respond is over."""

    permission_classes = [Allowed.to("self.manage")]

    class ReviewResponseInput(serializers.Serializer):
        text = serializers.CharField(max_length=2000, allow_blank=True)

    @extend_schema(
        tags=["me"], request=ReviewResponseInput, responses={200: MyCaseDetailOutput, 409: ErrorSerializer, **ERRORS}
    )
    def post(self, request, case_id: int):
        payload = self.ReviewResponseInput(data=request.data)
        payload.is_valid(raise_exception=True)
        citizen = citizen_of(request.user)
        review_respond(citizen=citizen, case_id=case_id, text=payload.validated_data["text"])
        return Response(MyCaseDetailOutput(citizen_case_get(citizen, case_id), context=_departments()).data)


urlpatterns = [
    *applications_urlpatterns,
    path("casework/cases/", CaseQueueApi.as_view(), name="api-case-queue"),
    path("casework/cases/<int:case_id>/", CaseDetailApi.as_view(), name="api-case-detail"),
    path("casework/cases/counts/", CaseQueueCountsApi.as_view(), name="api-case-queue-counts"),
    path("casework/cases/<int:case_id>/accept/", CaseAcceptApi.as_view(), name="api-case-accept"),
    path("casework/cases/<int:case_id>/refuse/", CaseRefuseApi.as_view(), name="api-case-refuse"),
    path("casework/cases/<int:case_id>/return/", CaseReturnApi.as_view(), name="api-case-return"),
    path("casework/cases/<int:case_id>/deliver/", CaseDeliverApi.as_view(), name="api-case-deliver"),
    path("casework/cases/<int:case_id>/approve/", CaseApproveApi.as_view(), name="api-case-approve"),
    path("casework/cases/<int:case_id>/reject/", CaseRejectApi.as_view(), name="api-case-reject"),
    path("me/cases/", MyCaseListApi.as_view(), name="api-me-cases"),
    path("me/cases/<int:case_id>/", MyCaseApi.as_view(), name="api-me-case"),
    path("me/cases/<int:case_id>/objection/", ObjectionApi.as_view(), name="api-me-case-objection"),
    path("me/cases/<int:case_id>/response/", ReviewResponseApi.as_view(), name="api-me-case-response"),
]
