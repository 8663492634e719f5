"""The citizen's application API: the form of a service or a bundle (免填报: what the portal holds, to
confirm; what it lacks, to answer; the materials; the rules' verdicts), submitting (multipart, with the
files; an `Idempotency-Key` header makes a retry answer the application it made), the person's
applications, and on a case: sending what a returned case asks for (补正) and withdrawing.

Facts are answered as fields named by their key (`household_size=3`); a material's files come in fields
named `material.<code>`. The rules advise and departments decide: applying is allowed whatever the verdict,
which each case carries for the caseworker.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.display import fact_value_display, field_label
from profiles.facts import FACTS
from profiles.facts.codec import fact_encode
from profiles.models import Citizen, FactSource
from profiles.permissions import Allowed
from profiles.requests import AuthenticatedRequest
from profiles.selectors import citizen_of, department_names
from services_portal.casework.materials import field_name
from services_portal.casework.models import Application, Case, MaterialFile
from services_portal.casework.services import case_withdraw
from services_portal.casework.services.applications import (
    ApplicationForm,
    application_form_for,
    application_submit,
    case_resubmit,
    case_url,
)
from services_portal.catalog.models import Bundle, ServiceItem
from services_portal.core.api import ErrorSerializer, StrictBooleanField
from services_portal.core.errors import PortalError
from services_portal.core.i18n import active_suffix

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
MATERIAL_PREFIX = "material."


# -- reading the person's applications ----------------------------------------------------------


def applications_of(citizen: Citizen) -> QuerySet[Application]:
    """The person's own applications, newest first, with their cases and files."""
    return (
        Application.objects.filter(citizen=citizen)
        .select_related("bundle")
        .prefetch_related(
            Prefetch("cases", queryset=Case.objects.select_related("service__department").order_by("id")),
            Prefetch("files", queryset=MaterialFile.objects.order_by("uploaded_at", "id")),
        )
        .order_by("-created_at", "-id")
    )


def citizen_application_get(citizen: Citizen, application_id: int) -> Application:
    """One of the person's own applications; 404 for anyone else's."""
    found = applications_of(citizen).filter(pk=application_id).first()
    if found is None:
        raise Http404
    return found


# -- outputs ------------------------------------------------------------------------------------


class ApplyNamedOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class FormServiceOutput(ApplyNamedOutput):
    department = ApplyNamedOutput()


class HeldFactOutput(serializers.Serializer):
    """A fact the portal holds, prefilled: confirm it (`confirmed`), or correct it unless a department gave it."""

    fact = serializers.CharField(source="definition.key")
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a declared field, not Field.label
    value = serializers.SerializerMethodField()
    display = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.source
    source_label = serializers.SerializerMethodField()
    department = serializers.CharField()
    department_name = serializers.SerializerMethodField()
    correctable = serializers.SerializerMethodField(help_text="False: from a department, report an error instead")

    def get_label(self, held: Any) -> str:
        return str(held.definition.label)

    def get_value(self, held: Any) -> Any:
        return fact_encode(held.value)

    def get_source_label(self, held: Any) -> str:
        return str(FactSource(held.source).label) if held.source in FactSource.values else held.source

    def get_department_name(self, held: Any) -> str:
        return self.context.get("departments", {}).get(held.department, held.department)

    def get_correctable(self, held: Any) -> bool:
        return held.source != FactSource.DEPARTMENT_FEED


class AskedChoiceOutput(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label


class AskedFactOutput(serializers.Serializer):
    """A fact the rules read that the portal lacks: answer it in the field named `fact`."""

    fact = serializers.CharField(source="key")
    type = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    question = serializers.CharField()
    hint = serializers.CharField()
    unit = serializers.CharField()
    choices = AskedChoiceOutput(many=True)
    minimum = serializers.IntegerField(allow_null=True)
    maximum = serializers.IntegerField(allow_null=True)
    sensitive = serializers.SerializerMethodField()

    def get_sensitive(self, definition: Any) -> bool:
        return str(definition.sensitivity) == "sensitive"


class MaterialOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    required = serializers.BooleanField()  # type: ignore[assignment]  # a declared field, not Field.required
    shared = serializers.BooleanField(help_text="Obtained by the department itself: nothing to upload")
    services = serializers.ListField(child=serializers.CharField())
    field = serializers.SerializerMethodField(help_text="The multipart field of its files")

    def get_field(self, material: Any) -> str:
        return "" if material.shared else field_name(material.code)


class VerdictOutput(serializers.Serializer):
    service = serializers.CharField(source="service.code")
    outcome = serializers.ChoiceField(choices=["eligible", "not_eligible", "maybe", "open"])
    reasons = serializers.ListField(child=serializers.CharField())


class StandingOutput(serializers.Serializer):
    service = serializers.CharField()
    case_id = serializers.IntegerField()
    url = serializers.CharField()
    state = serializers.CharField()


class ApplicationFormOutput(serializers.Serializer):
    services = FormServiceOutput(many=True)
    bundle = ApplyNamedOutput(allow_null=True)
    held = HeldFactOutput(many=True)
    asked = AskedFactOutput(many=True)
    materials = MaterialOutput(many=True)
    verdicts = VerdictOutput(many=True)
    standing = serializers.SerializerMethodField()
    max_files = serializers.SerializerMethodField()

    @extend_schema_field(StandingOutput(many=True))
    def get_standing(self, form: ApplicationForm) -> Any:
        return StandingOutput(
            [
                {"service": code, "case_id": case.pk, "url": case_url(case), "state": case.state}
                for code, case in form.standing.items()
            ],
            many=True,
        ).data

    def get_max_files(self, form: ApplicationForm) -> int:
        return settings.MATERIAL_MAX_FILES


class ApplicationCriterionOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a declared field, not Field.label
    status = serializers.CharField()

    def get_label(self, item: dict) -> str:
        return item.get(f"label_{active_suffix()}") or item.get("label_zh", "")


class ApplicationCaseOutput(serializers.Serializer):
    """A case of the application: one service, routed to its department."""

    id = serializers.IntegerField()
    service = FormServiceOutput()
    period = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    eligibility = serializers.CharField(help_text="What the rules said when it was submitted: they advise")
    criteria = ApplicationCriterionOutput(many=True)
    returned_materials = serializers.ListField(child=serializers.CharField())
    resubmit_by = serializers.DateField(allow_null=True)
    due_on = serializers.DateField(allow_null=True)
    opened_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, case: Case) -> str:
        return case_url(case)


class MyApplicationFactOutput(serializers.Serializer):
    fact = serializers.CharField()
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a declared field, not Field.label
    value = serializers.JSONField()
    display = serializers.SerializerMethodField()
    source = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.source
    department = serializers.CharField()

    def get_label(self, item: dict) -> str:
        return field_label(item["fact"])

    def get_display(self, item: dict) -> str:
        return fact_value_display(item["fact"], item["value"])


class MyMaterialFileOutput(serializers.Serializer):
    id = serializers.IntegerField()
    material = serializers.CharField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    pages = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="Download it (signed in as the applicant)")

    def get_url(self, item: MaterialFile) -> str:
        return f"/me/files/{item.pk}/"


class ApplicationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    bundle = ApplyNamedOutput(allow_null=True)
    origin = serializers.CharField()
    facts = MyApplicationFactOutput(many=True)
    files = MyMaterialFileOutput(many=True, source="files.all")
    cases = ApplicationCaseOutput(many=True, source="cases.all")
    declared_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


# -- inputs -------------------------------------------------------------------------------------


class FormQueryInput(serializers.Serializer):
    service = serializers.SlugField(required=False, help_text="A service's code")
    bundle = serializers.SlugField(required=False, help_text="A bundle's code (一件事)")


class ApplicationInput(serializers.Serializer):
    """Also: each answered fact as a field named by its key, and each material's files as fields named
    `material.<code>` (multipart)."""

    services = serializers.ListField(child=serializers.SlugField(), required=False, default=list)
    bundle = serializers.SlugField(required=False)
    confirmed = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        default=list,
        help_text="The keys of the held facts you confirm are still true",
    )
    declared = StrictBooleanField(help_text="The declaration: what I gave is true and complete")


class ResubmissionInput(serializers.Serializer):
    """Also: the files asked for, in fields named `material.<code>` (multipart)."""

    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "maxLength": 80},
    OpenApiParameter.HEADER,
    required=False,
    description="Any text up to 80 characters, new for each application: a retry with the same key answers "
    "the application the first made (200), not a second one.",
)


def _departments() -> dict[str, Any]:
    return {"departments": department_names()}


def _services(codes: list[str]) -> list[ServiceItem]:
    found = {
        service.code: service
        for service in ServiceItem.objects.filter(code__in=codes, is_published=True)
        .select_related("department")
        .prefetch_related("criteria")
    }
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise Http404
    return [found[code] for code in codes]


def _bundle(code: str | None) -> Bundle | None:
    if not code:
        return None
    found = Bundle.objects.filter(code=code).first()
    if found is None:
        raise Http404
    return found


def _files(request: Any) -> dict[str, list[Any]]:
    return {
        key.removeprefix(MATERIAL_PREFIX): request.FILES.getlist(key)
        for key in request.FILES
        if key.startswith(MATERIAL_PREFIX)
    }


def _given(data: Any) -> dict[str, Any]:
    """The facts answered, as fields named by their keys; a repeated field (a list fact) as a list."""
    given: dict[str, Any] = {}
    for key in FACTS:
        if key not in data:
            continue
        if hasattr(data, "getlist"):
            values = data.getlist(key)
            given[key] = values if len(values) > 1 else (values[0] if values else "")
        else:
            given[key] = data[key]
    return given


class MeApi(APIView):
    permission_classes = [Allowed.to("self.manage")]
    request: AuthenticatedRequest


class ApplicationFormApi(MeApi):
    """The application form of a service or a bundle: the facts held (prefilled with their source, to
    confirm), those to answer, the materials to upload, what the rules say (advice: you may apply
    whatever they say) and any application of yours standing for the same period."""

    @extend_schema(tags=["me"], parameters=[FormQueryInput], responses={200: ApplicationFormOutput, **ERRORS})
    def get(self, request):
        params = FormQueryInput(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        if bool(params.validated_data.get("service")) == bool(params.validated_data.get("bundle")):
            # a rule the schema cannot state: its own code, not the generic "invalid"
            message = _("Give either a service or a bundle.")
            raise PortalError("service_or_bundle", message, fields={"service": [message], "bundle": [message]})
        bundle = _bundle(params.validated_data.get("bundle"))
        services = _services([params.validated_data["service"]]) if params.validated_data.get("service") else []
        if bundle is None and any(not service.online for service in services):
            raise Http404
        form = application_form_for(citizen_of(request.user), services=services, bundle=bundle)
        return Response(ApplicationFormOutput(form, context=_departments()).data)


class ApplicationListApi(MeApi, ListAPIView):
    """My applications, newest first, each with its cases and files. POST: apply."""

    serializer_class = ApplicationOutput
    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(tags=["me"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Application.objects.none()
        return applications_of(citizen_of(self.request.user))

    @extend_schema(
        tags=["me"],
        request={"multipart/form-data": ApplicationInput, "application/json": ApplicationInput},
        parameters=[IDEMPOTENCY],
        responses={
            201: ApplicationOutput,
            200: OpenApiResponse(ApplicationOutput, description="A retry with the same Idempotency-Key"),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`already_applied`: an application stands for this service and period; "
                "`error.fields.first_case` links to it",
            ),
            **ERRORS,
        },
    )
    def post(self, request):
        payload = ApplicationInput(data=request.data)
        payload.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 80:
            raise serializers.ValidationError({"Idempotency-Key": [_("At most 80 characters.")]})
        bundle = _bundle(payload.validated_data.get("bundle"))
        services = _services(payload.validated_data["services"])
        citizen = citizen_of(request.user)
        started = timezone.now()
        application = application_submit(
            citizen=citizen,
            services=services,
            bundle=bundle,
            confirmed=payload.validated_data["confirmed"],
            given=_given(request.data),
            files=_files(request),
            declared=payload.validated_data["declared"],
            idempotency_key=key,
        )
        fresh = application.created_at >= started
        body = ApplicationOutput(citizen_application_get(citizen, application.pk)).data
        return Response(body, status=status.HTTP_201_CREATED if fresh else status.HTTP_200_OK)


class ApplicationApi(MeApi):
    """One of my applications, with its cases (one per service, each with its department) and files."""

    @extend_schema(tags=["me"], responses={200: ApplicationOutput, **ERRORS})
    def get(self, request, application_id: int):
        return Response(ApplicationOutput(citizen_application_get(citizen_of(request.user), application_id)).data)


def _case_answer(case: Case) -> Response:
    fresh = Case.objects.select_related("service__department").get(pk=case.pk)
    return Response(ApplicationCaseOutput(fresh).data)


class ResubmissionApi(MeApi):
    """补正: send what a returned application asks for, by its deadline (`resubmit_by`): a file for each
    material returned (fields `material.<code>`), and words if you like."""

    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(
        tags=["me"],
        request={"multipart/form-data": ResubmissionInput, "application/json": ResubmissionInput},
        responses={200: ApplicationCaseOutput, 409: ErrorSerializer, **ERRORS},
    )
    def post(self, request, case_id: int):
        payload = ResubmissionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        case = case_resubmit(
            citizen=citizen_of(request.user),
            case_id=case_id,
            files=_files(request),
            text=payload.validated_data["text"],
        )
        return _case_answer(case)


class WithdrawalApi(MeApi):
    """Withdraw an application not yet decided."""

    @extend_schema(tags=["me"], request=None, responses={200: ApplicationCaseOutput, 409: ErrorSerializer, **ERRORS})
    def post(self, request, case_id: int):
        return _case_answer(case_withdraw(citizen=citizen_of(request.user), case_id=case_id))


urlpatterns = [
    path("me/application-form/", ApplicationFormApi.as_view(), name="api-me-application-form"),
    path("me/applications/", ApplicationListApi.as_view(), name="api-me-applications"),
    path("me/applications/<int:application_id>/", ApplicationApi.as_view(), name="api-me-application"),
    path("me/cases/<int:case_id>/resubmission/", ResubmissionApi.as_view(), name="api-me-case-resubmission"),
    path("me/cases/<int:case_id>/withdrawal/", WithdrawalApi.as_view(), name="api-me-case-withdrawal"),
]
