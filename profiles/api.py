"""The profiles API: the fact vocabulary, signing up and API tokens, a citizen's own data under /me/,
staff reading a person's record, and auditors searching the access log.

A citizen's own data is always found from the signed-in user (`citizen_of`), never from an id in the
URL, the query or the body. Who may call what is decided by `profiles.permissions` alone.
"""

from django.contrib.auth import update_session_auth_hash
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.display import fact_value_display, field_label
from profiles.facts import FACTS, Sensitivity
from profiles.identity_api import MeIdentityApi, MeIdentityBeginApi, MeIdentityCompleteApi
from profiles.models import AccessChannel, AccessLogEntry, AccessPurpose, ConsentChannel, FactValue
from profiles.permissions import Allowed
from profiles.purposes import Purpose
from profiles.requests import AuthenticatedRequest
from profiles.resident_id import ResidentIdInvalid
from profiles.selectors import (
    access_log_about,
    citizen_export,
    citizen_of,
    consent_overview,
    department_names,
    fact_history,
    fact_values_current,
    signed_in_devices,
    tags_shown,
)
from profiles.services.access import access_log_search_audited, citizen_read_for
from profiles.services.accounts import citizen_for_resident_id, citizen_register
from profiles.services.consent import consent_grant, consent_withdraw, personalisation_set
from profiles.services.facts import fact_error_report, facts_self_declare
from profiles.services.passwords import (
    password_change,
    password_reset,
    password_reset_code_send,
    reset_code_sent_message,
)
from profiles.services.sessions import device_sign_out, devices_sign_out
from profiles.services.tags import tag_delete
from profiles.services.tokens import token_obtain, token_revoke
from services_portal.core.api import ErrorSerializer, StrictBooleanField
from services_portal.core.errors import PortalError
from services_portal.reference import regions

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


# -- the fact vocabulary ---------------------------------------------------------------------------


class ChoiceOutput(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label


class FactOutput(serializers.Serializer):
    key = serializers.CharField()
    type = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    question = serializers.CharField()
    unit = serializers.CharField()
    sensitivity = serializers.CharField()
    purpose = serializers.CharField(
        allow_null=True, help_text="The consent that lets departments deliver it; null for an identity fact."
    )
    identity = serializers.BooleanField(
        help_text="Only proves who the person is (real-name binding): delivered without the data-matching "
        "consent, used for nothing else, never stated by the person."
    )
    departments = serializers.ListField(child=serializers.CharField())
    choices = ChoiceOutput(many=True)
    minimum = serializers.IntegerField(allow_null=True)
    maximum = serializers.IntegerField(allow_null=True)
    allow_future = serializers.BooleanField()


class FactListApi(APIView):
    """Every fact the portal knows: its type, unit, sensitivity, consent purpose and delivering departments."""

    permission_classes = [AllowAny]

    @extend_schema(responses=FactOutput(many=True))
    def get(self, request):
        return Response(FactOutput(FACTS.values(), many=True).data)


class RegionOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language: Chinese, or English (pinyin outside Guangxi).")
    level = serializers.ChoiceField(choices=["province", "city", "county"])
    parent_code = serializers.CharField(help_text="Empty for a province; the province for a municipality's districts.")


class RegionListApi(APIView):
    """Mainland China's administrative divisions (GB/T 2260) under one region, or the 31 provinces: the
    region lists on the portal's forms refresh from it when another province is chosen."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("within", OpenApiTypes.STR, description="A region code; empty: the provinces.")],
        responses={200: RegionOutput(many=True), 400: ErrorSerializer},
    )
    def get(self, request):
        within = request.query_params.get("within", "")
        if not within:
            return Response(RegionOutput(regions.provinces(), many=True).data)
        if regions.get(within) is None:
            raise PortalError("unknown_region", _("%(code)s is not a region code that exists.") % {"code": within[:12]})
        found = [region for region in regions.all_regions(within=within) if region.code != within]
        return Response(RegionOutput(found, many=True).data)


# -- shared outputs ------------------------------------------------------------------------------


class FactValueOutput(serializers.Serializer):
    """One value of one fact with its provenance: where it came from and when."""

    key = serializers.CharField()
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a declared field, not Field.label
    value = serializers.JSONField()
    value_display = serializers.SerializerMethodField()
    sensitive = serializers.SerializerMethodField()
    source = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.source
    source_label = serializers.CharField(source="get_source_display")
    department = serializers.CharField()
    department_name = serializers.SerializerMethodField()
    observed_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)

    def get_label(self, record: FactValue) -> str:
        return field_label(record.key)

    def get_value_display(self, record: FactValue) -> str:
        return fact_value_display(record.key, record.value)

    def get_sensitive(self, record: FactValue) -> bool:
        fact = FACTS.get(record.key)
        return bool(fact and fact.sensitivity == Sensitivity.SENSITIVE)

    def get_department_name(self, record: FactValue) -> str:
        departments = self.context.get("departments", {})
        return departments.get(record.department, record.department)


class FactHistoryOutput(FactValueOutput):
    superseded_at = serializers.DateTimeField(allow_null=True)


def _region_name(code: str) -> str:
    return regions.display_name(code) if code else ""


class MeOutput(serializers.Serializer):
    resident_id_masked = serializers.CharField()
    name = serializers.CharField()
    identity_verified = serializers.BooleanField(
        help_text="Whether the account proved it is the person of its ID number (GET /api/v1/me/identity/)."
    )
    region_code = serializers.CharField()
    region_name = serializers.SerializerMethodField()
    personalisation_enabled = serializers.BooleanField()

    def get_region_name(self, citizen) -> str:
        return _region_name(citizen.region_code)


# -- signing up and tokens -----------------------------------------------------------------------


class SignupApi(APIView):
    """A citizen signs up with their resident ID number. Sign in for a token afterwards. The account is
    not yet verified (`identity_verified: false`): it holds only what its owner declared until they prove
    who they are (/api/v1/me/identity/). The answer is the same whether or not the number is known."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "signup"

    class SignupInput(serializers.Serializer):
        resident_id = serializers.CharField(max_length=32)
        name = serializers.CharField(max_length=100)
        password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
        phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")

    @extend_schema(tags=["auth"], request=SignupInput, responses={201: MeOutput, 400: ErrorSerializer})
    def post(self, request):
        payload = self.SignupInput(data=request.data)
        payload.is_valid(raise_exception=True)
        citizen = citizen_register(**payload.validated_data)
        return Response(MeOutput(citizen).data, status=status.HTTP_201_CREATED)


class TokenApi(APIView):
    """Sign in for an app token, one per device: `username` is a resident ID number or a staff user name,
    `device_name` how the device is listed among the signed-in devices. Send the token back as
    `Authorization: Token <token>`; it expires at `expiry` (renewed while in use, up to a limit).
    Five failures from one address lock signing in to the account from that address (code `locked_out`).
    After many failures on the account from anywhere, the right password alone is answered 403 with code
    `step_up_required` and a code is texted to the account's verified phone: send the same request again
    with `code`. An account without a verified phone is answered 429 `sign_in_wait` for a few minutes
    after a wrong password from the same address."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "sign_in"

    class TokenInput(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
        code = serializers.CharField(
            max_length=16, required=False, allow_blank=True, default="", help_text="the texted sign-in code"
        )
        device_name = serializers.CharField(
            max_length=100, required=False, allow_blank=True, default="", help_text='e.g. "Xiaomi 14 app"'
        )

    class TokenOutput(serializers.Serializer):
        token = serializers.CharField()
        expiry = serializers.DateTimeField(allow_null=True)

    @extend_schema(
        tags=["auth"],
        request=TokenInput,
        responses={200: TokenOutput, 400: ErrorSerializer, 403: ErrorSerializer, 429: ErrorSerializer},
    )
    def post(self, request):
        payload = self.TokenInput(data=request.data)
        payload.is_valid(raise_exception=True)
        token, plain = token_obtain(
            request=request,
            identifier=payload.validated_data["username"],
            password=payload.validated_data["password"],
            device_name=payload.validated_data["device_name"],
            code=payload.validated_data["code"],
        )
        return Response(self.TokenOutput({"token": plain, "expiry": token.expiry}).data)


def _current_token(request) -> AuthToken | None:
    return request.auth if isinstance(request.auth, AuthToken) else None


def _current_session_key(request) -> str | None:
    if isinstance(request.successful_authenticator, SessionAuthentication):
        return request.session.session_key
    return None


class TokenRevokeApi(APIView):
    """Give up the caller's app token (this device), or with `all` every app token of the account."""

    permission_classes = [IsAuthenticated]

    class TokenRevokeInput(serializers.Serializer):
        all = StrictBooleanField(required=False, default=False)

    class TokenRevokeOutput(serializers.Serializer):
        revoked = serializers.IntegerField()

    @extend_schema(tags=["auth"], request=TokenRevokeInput, responses={200: TokenRevokeOutput, 400: ErrorSerializer})
    def post(self, request):
        payload = self.TokenRevokeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        everywhere = payload.validated_data["all"]
        token = _current_token(request)
        if token is None and not everywhere:
            raise PortalError("no_token", _("You are signed in without an app token: there is none to revoke."))
        revoked = token_revoke(user=request.user, token=token, all_devices=everywhere)
        return Response(self.TokenRevokeOutput({"revoked": revoked}).data)


class PasswordResetApi(APIView):
    """Ask for a password reset code, texted to the phone bound to the account. The answer is the same
    whether or not an account with a bound phone exists for the number."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "code_send"

    class PasswordResetInput(serializers.Serializer):
        resident_id = serializers.CharField(max_length=32)

    class PasswordResetOutput(serializers.Serializer):
        detail = serializers.CharField()

    @extend_schema(
        tags=["auth"], request=PasswordResetInput, responses={202: PasswordResetOutput, 400: ErrorSerializer}
    )
    def post(self, request):
        payload = self.PasswordResetInput(data=request.data)
        payload.is_valid(raise_exception=True)
        password_reset_code_send(resident_id=payload.validated_data["resident_id"])
        return Response({"detail": reset_code_sent_message()}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(APIView):
    """Set a new password with the code from the text message. Signs out every browser and app."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "password_reset"

    class PasswordResetConfirmInput(serializers.Serializer):
        resident_id = serializers.CharField(max_length=32)
        code = serializers.CharField(max_length=16)
        new_password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)

    @extend_schema(tags=["auth"], request=PasswordResetConfirmInput, responses={204: None, 400: ErrorSerializer})
    def post(self, request):
        payload = self.PasswordResetConfirmInput(data=request.data)
        payload.is_valid(raise_exception=True)
        password_reset(**payload.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- signed-in devices and the password ----------------------------------------------------------


class DeviceOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["web", "app"])
    id = serializers.CharField()
    name = serializers.CharField(help_text="The browser and system of a session; the name an app gave its token.")
    signed_in_at = serializers.DateTimeField(allow_null=True)
    last_seen_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    current = serializers.BooleanField(help_text="The device making this request.")


class MeDevicesApi(APIView):
    """The browsers and apps signed in to my account."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["me"], responses={200: DeviceOutput(many=True), 403: ErrorSerializer})
    def get(self, request):
        devices = signed_in_devices(
            request.user, current_session_key=_current_session_key(request), current_token=_current_token(request)
        )
        return Response(DeviceOutput(devices, many=True).data)


class MeDeviceApi(APIView):
    """Sign one browser or app out."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["me"], responses={204: None, **ERRORS})
    def delete(self, request, device):
        device_sign_out(user=request.user, device=device)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeDevicesSignOutApi(APIView):
    """Sign out every other browser and app: all but the one making this request."""

    permission_classes = [IsAuthenticated]

    class SignedOutOutput(serializers.Serializer):
        signed_out = serializers.IntegerField()

    @extend_schema(tags=["me"], request=None, responses={200: SignedOutOutput, 403: ErrorSerializer})
    def post(self, request):
        count = devices_sign_out(
            user=request.user, keep_session_key=_current_session_key(request), keep_token=_current_token(request)
        )
        return Response(self.SignedOutOutput({"signed_out": count}).data)


class MePasswordApi(APIView):
    """Change my password, with the current one. Every other browser and app is signed out."""

    permission_classes = [IsAuthenticated]

    class PasswordChangeInput(serializers.Serializer):
        old_password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
        new_password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)

    @extend_schema(tags=["me"], request=PasswordChangeInput, responses={204: None, **ERRORS})
    def post(self, request):
        payload = self.PasswordChangeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        session_key = _current_session_key(request)
        user = password_change(
            user=request.user,
            keep_session_key=session_key,
            keep_token=_current_token(request),
            **payload.validated_data,
        )
        if session_key:
            update_session_auth_hash(request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- the citizen's own data ----------------------------------------------------------------------


class MeApi(APIView):
    """Who I am to the portal, and my personalisation switch."""

    permission_classes = [Allowed.to("self.manage")]

    class MeUpdateInput(serializers.Serializer):
        personalisation_enabled = StrictBooleanField()

    @extend_schema(tags=["me"], responses={200: MeOutput, 403: ErrorSerializer})
    def get(self, request):
        return Response(MeOutput(citizen_of(request.user)).data)

    @extend_schema(tags=["me"], request=MeUpdateInput, responses={200: MeOutput, **ERRORS})
    def patch(self, request):
        payload = self.MeUpdateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        citizen = personalisation_set(
            citizen=citizen_of(request.user), enabled=payload.validated_data["personalisation_enabled"]
        )
        return Response(MeOutput(citizen).data)


_REGISTRY_ORDER = {key: position for position, key in enumerate(FACTS)}


def _in_registry_order(records) -> list[FactValue]:
    return sorted(records, key=lambda record: _REGISTRY_ORDER.get(record.key, len(_REGISTRY_ORDER)))


def _facts_output(citizen) -> list:
    records = _in_registry_order(fact_values_current(citizen).values())
    # many=True makes a ListSerializer, whose data is a list; the stubs type it as the single serializer's dict
    return FactValueOutput(records, many=True, context={"departments": department_names()}).data  # type: ignore[return-value]


class MeFactsApi(APIView):
    """My current facts, each with where it came from; and telling the portal my own."""

    permission_classes = [Allowed.to("self.manage")]

    class FactsDeclareInput(serializers.Serializer):
        facts = serializers.DictField(
            help_text="Fact key to value, as in GET /api/v1/facts/. A blank value withdraws what you said before; "
            "for a list fact [] is the answer 'none' (children_birth_dates: [] means no children), kept as such."
        )

    @extend_schema(tags=["me"], responses={200: FactValueOutput(many=True), 403: ErrorSerializer})
    def get(self, request):
        return Response(_facts_output(citizen_of(request.user)))

    @extend_schema(tags=["me"], request=FactsDeclareInput, responses={200: FactValueOutput(many=True), **ERRORS})
    def post(self, request):
        payload = self.FactsDeclareInput(data=request.data)
        payload.is_valid(raise_exception=True)
        citizen = citizen_of(request.user)
        try:
            facts_self_declare(citizen=citizen, values=payload.validated_data["facts"])
        except PortalError as error:
            error.fields = {f"facts.{key}": messages for key, messages in error.fields.items()}
            raise
        return Response(_facts_output(citizen))


class MeFactHistoryApi(ListAPIView):
    """Every value the portal has held of my facts, current and superseded, newest first per fact."""

    permission_classes = [Allowed.to("self.manage")]
    serializer_class = FactHistoryOutput
    request: AuthenticatedRequest

    @extend_schema(tags=["me"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return FactValue.objects.none()
        return fact_history(citizen_of(self.request.user))

    def get_serializer_context(self):
        if getattr(self, "swagger_fake_view", False):
            return super().get_serializer_context()
        return {**super().get_serializer_context(), "departments": department_names()}


class FactErrorReportApi(APIView):
    """A value from a government department is wrong: say what is wrong, and the department corrects it."""

    permission_classes = [Allowed.to("self.manage")]

    class FactErrorReportInput(serializers.Serializer):
        text = serializers.CharField(max_length=1000, allow_blank=True)

    class FactErrorReportOutput(serializers.Serializer):
        id = serializers.IntegerField()
        key = serializers.CharField(source="fact_value.key")
        text = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(tags=["me"], request=FactErrorReportInput, responses={201: FactErrorReportOutput, **ERRORS})
    def post(self, request, key):
        payload = self.FactErrorReportInput(data=request.data)
        payload.is_valid(raise_exception=True)
        citizen = citizen_of(request.user)
        record = fact_values_current(citizen).get(key)
        if record is None:
            raise PortalError("no_such_fact", _("You have no current value of this fact."))
        report = fact_error_report(citizen=citizen, fact_value=record, text=payload.validated_data["text"])
        return Response(self.FactErrorReportOutput(report).data, status=status.HTTP_201_CREATED)


class TagOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    basis = FactValueOutput(many=True, help_text="The facts behind the tag, with their sources.")


class MeTagsApi(APIView):
    """The life events my facts put me in, each with the facts behind it."""

    permission_classes = [Allowed.to("self.manage")]

    @extend_schema(tags=["me"], responses={200: TagOutput(many=True), 403: ErrorSerializer})
    def get(self, request):
        tags = tags_shown(citizen_of(request.user))
        return Response(TagOutput(tags, many=True, context={"departments": department_names()}).data)


class MeTagApi(APIView):
    """Delete a tag: it stays away until the facts behind it change or I grant a consent."""

    permission_classes = [Allowed.to("self.manage")]

    @extend_schema(tags=["me"], responses={204: None, **ERRORS})
    def delete(self, request, life_event):
        tag_delete(citizen=citizen_of(request.user), life_event=life_event)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NoticeOutput(serializers.Serializer):
    version = serializers.IntegerField()
    text = serializers.CharField()
    published_at = serializers.DateTimeField()


class ConsentStatusOutput(serializers.Serializer):
    purpose = serializers.CharField()
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a declared field, not Field.label
    granted = serializers.BooleanField()
    notice = NoticeOutput(allow_null=True, help_text="The notice in force now, to read before granting.")
    notice_changed = serializers.BooleanField(help_text="Granted under an older notice than the one in force.")
    decided_at = serializers.DateTimeField(source="event.created_at", allow_null=True)
    channel = serializers.CharField(source="event.channel", allow_null=True)

    def get_label(self, status) -> str:
        return str(Purpose(status.purpose).label)


class ConsentEventOutput(serializers.Serializer):
    purpose = serializers.CharField()
    granted = serializers.BooleanField()
    notice_version = serializers.IntegerField(source="notice.version")
    channel = serializers.CharField()
    created_at = serializers.DateTimeField()


class MeConsentsApi(APIView):
    """Each consent purpose: granted or not, under which notice, when and where."""

    permission_classes = [Allowed.to("self.manage")]

    @extend_schema(tags=["me"], responses={200: ConsentStatusOutput(many=True), 403: ErrorSerializer})
    def get(self, request):
        return Response(ConsentStatusOutput(consent_overview(citizen_of(request.user)), many=True).data)


def _consent_channel(request) -> ConsentChannel:
    """Consent given from an app (token) is recorded as given in the app; with a session, on the web."""
    if isinstance(request.successful_authenticator, TokenAuthentication):
        return ConsentChannel.APP
    return ConsentChannel.WEB


class ConsentGrantApi(APIView):
    """Grant a consent purpose under the notice in force now."""

    permission_classes = [Allowed.to("self.manage")]

    @extend_schema(tags=["me"], request=None, responses={201: ConsentEventOutput, **ERRORS})
    def post(self, request, purpose):
        event = consent_grant(citizen=citizen_of(request.user), purpose=purpose, channel=_consent_channel(request))
        return Response(ConsentEventOutput(event).data, status=status.HTTP_201_CREATED)


class ConsentWithdrawApi(APIView):
    """Withdraw a consent purpose: it takes effect on the next request."""

    permission_classes = [Allowed.to("self.manage")]

    @extend_schema(tags=["me"], request=None, responses={201: ConsentEventOutput, **ERRORS})
    def post(self, request, purpose):
        event = consent_withdraw(citizen=citizen_of(request.user), purpose=purpose, channel=_consent_channel(request))
        return Response(ConsentEventOutput(event).data, status=status.HTTP_201_CREATED)


class AccessLogAboutMeOutput(serializers.Serializer):
    created_at = serializers.DateTimeField()
    actor_role = serializers.CharField()
    actor_role_label = serializers.CharField(source="get_actor_role_display")
    actor_department = serializers.CharField(source="actor.department")
    # a declared field, not Serializer.fields: DRF's metaclass takes it off the class
    fields = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    field_labels = serializers.SerializerMethodField()
    purpose = serializers.CharField()
    purpose_label = serializers.CharField(source="get_purpose_display")
    channel = serializers.CharField()

    def get_field_labels(self, entry: AccessLogEntry) -> list[str]:
        return [field_label(key) for key in entry.fields]


class MeAccessLogApi(ListAPIView):
    """Who has looked at my data, when, what and why."""

    permission_classes = [Allowed.to("self.manage")]
    serializer_class = AccessLogAboutMeOutput
    request: AuthenticatedRequest

    @extend_schema(tags=["me"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AccessLogEntry.objects.none()
        return access_log_about(citizen_of(self.request.user))


class MeExportApi(APIView):
    """Everything the portal holds on me, as one JSON document (the right of access)."""

    permission_classes = [Allowed.to("self.manage")]

    @extend_schema(tags=["me"], responses={200: OpenApiTypes.OBJECT, 403: ErrorSerializer})
    def get(self, request):
        return Response(citizen_export(citizen_of(request.user)))


# -- staff ---------------------------------------------------------------------------------------


class CitizenRecordOutput(serializers.Serializer):
    id = serializers.IntegerField(source="citizen.pk")
    resident_id_masked = serializers.CharField(source="citizen.resident_id_masked")
    name = serializers.CharField(source="citizen.name")
    region_code = serializers.CharField(source="citizen.region_code")
    region_name = serializers.SerializerMethodField()
    facts = serializers.SerializerMethodField()

    def get_region_name(self, record) -> str:
        return _region_name(record.citizen.region_code)

    @extend_schema_field(FactValueOutput(many=True))
    def get_facts(self, record) -> list:
        # many=True makes a ListSerializer, whose data is a list; the stubs type it as the single serializer's dict
        return FactValueOutput(_in_registry_order(record.facts.values()), many=True, context=self.context).data  # type: ignore[return-value]


class StaffReadInput(serializers.Serializer):
    purpose = serializers.CharField(required=False, allow_blank=True, default="")
    # a declared field, not Serializer.fields: DRF's metaclass takes it off the class
    fields = serializers.CharField(required=False, allow_blank=True, default="")  # type: ignore[assignment]

    def validate_fields(self, value: str) -> list[str]:
        return [key.strip() for key in value.split(",") if key.strip()]


STAFF_PARAMETERS = [
    OpenApiParameter("purpose", OpenApiTypes.STR, enum=AccessPurpose.values, required=True),
    OpenApiParameter(
        "fields",
        OpenApiTypes.STR,
        description="Fact keys, comma-separated: only these facts. A sensitive one without the person's consent "
        "is refused (403, sensitive_consent_required).",
    ),
]


def _staff_read(request, **found) -> Response:
    params = StaffReadInput(data=request.query_params)
    params.is_valid(raise_exception=True)
    return _staff_record(request, params.validated_data, **found)


def _staff_record(request, data: dict, **found) -> Response:
    record = citizen_read_for(
        request.user,
        purpose=data["purpose"],
        facts=data["fields"],
        channel=AccessChannel.API,
        request_id=getattr(request, "request_id", ""),
        **found,
    )
    return Response(CitizenRecordOutput(record, context={"departments": department_names()}).data)


class StaffCitizenApi(APIView):
    """A person's record, for a purpose, within the caller's region; every read is logged."""

    permission_classes = [Allowed.to("citizen.read")]

    @extend_schema(tags=["staff"], parameters=STAFF_PARAMETERS, responses={200: CitizenRecordOutput, **ERRORS})
    def get(self, request, citizen_id):
        return _staff_read(request, citizen_id=citizen_id)


class StaffLookupInput(StaffReadInput):
    resident_id = serializers.CharField(
        max_length=64, trim_whitespace=True, help_text="The person's resident ID number, in the body: never in a URL."
    )


class StaffCitizenLookupApi(APIView):
    """Find a person by resident ID number, for a purpose, within the caller's region; logged like a read.
    POST, so that the number travels in the body and never lands in a URL, a proxy's log or a history."""

    permission_classes = [Allowed.to("citizen.read")]

    @extend_schema(
        tags=["staff"],
        operation_id="v1_staff_citizens_lookup",
        request=StaffLookupInput,
        responses={200: CitizenRecordOutput, **ERRORS},
    )
    def post(self, request):
        payload = StaffLookupInput(data=request.data)
        if not payload.is_valid():
            if "resident_id" in payload.errors:
                message = _("Enter the person's resident ID number.")
                raise PortalError("resident_id_required", message, fields={"resident_id": [message]})
            payload.is_valid(raise_exception=True)
        return _staff_record(request, payload.validated_data, resident_id=payload.validated_data["resident_id"])


# -- audit ---------------------------------------------------------------------------------------


class AuditSearchInput(serializers.Serializer):
    subject = serializers.CharField(required=False, allow_blank=True, help_text="The person's resident ID number")
    actor = serializers.CharField(required=False, allow_blank=True, help_text="The staff member's user name")
    purpose = serializers.ChoiceField(choices=AccessPurpose.choices, required=False, allow_blank=True)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate_subject(self, value: str):
        if not value.strip():
            return None
        try:
            citizen = citizen_for_resident_id(value)
        except ResidentIdInvalid as error:
            raise serializers.ValidationError(error.message) from None
        if citizen is None:
            raise serializers.ValidationError(_("The portal holds no one with this ID number."))
        return citizen


class AccessLogEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.username")
    actor_role = serializers.CharField()
    subject_id = serializers.IntegerField()
    subject_resident_id_masked = serializers.CharField(source="subject.resident_id_masked")
    # a declared field, not Serializer.fields: DRF's metaclass takes it off the class
    fields = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    purpose = serializers.CharField()
    channel = serializers.CharField()
    request_id = serializers.CharField()


class AuditListInput(AuditSearchInput):
    """The filters a GET may carry: no person's ID number, which goes in a POST body only."""

    subject = None  # type: ignore[assignment]  # DRF drops a parent's declared field set to None

    def validate(self, data):
        if "subject" in self.initial_data:
            message = _("Send the person's ID number in the body of a POST, never in the address.")
            raise serializers.ValidationError({"subject": [message]})
        return data


class AuditAccessLogApi(ListAPIView):
    """Search the access log: who read whose data, when, for what purpose. Searching about one person
    (by their resident ID number, in a POST body) is itself logged, with the purpose audit."""

    permission_classes = [Allowed.to("access_log.search")]
    serializer_class = AccessLogEntryOutput
    request: AuthenticatedRequest

    @extend_schema(tags=["audit"], parameters=[AuditListInput], responses={200: AccessLogEntryOutput(many=True)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["audit"],
        operation_id="v1_audit_access_log_search",
        request=AuditSearchInput,
        responses={200: AccessLogEntryOutput(many=True), **ERRORS},
    )
    def post(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AccessLogEntry.objects.none()
        if self.request.method == "POST":
            params = AuditSearchInput(data=self.request.data)
        else:
            params = AuditListInput(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return access_log_search_audited(
            user=self.request.user,
            channel=AccessChannel.API,
            request_id=getattr(self.request, "request_id", ""),
            subject=data.get("subject"),
            actor_username=data.get("actor", "").strip(),
            purpose=data.get("purpose", ""),
            since=data.get("since"),
            until=data.get("until"),
        )


urlpatterns = [
    path("facts/", FactListApi.as_view(), name="api-fact-list"),
    path("regions/", RegionListApi.as_view(), name="api-region-list"),
    path("auth/signup/", SignupApi.as_view(), name="api-signup"),
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("auth/token/revoke/", TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("auth/password-reset/", PasswordResetApi.as_view(), name="api-password-reset"),
    path("auth/password-reset/confirm/", PasswordResetConfirmApi.as_view(), name="api-password-reset-confirm"),
    path("me/devices/", MeDevicesApi.as_view(), name="api-me-devices"),
    path("me/devices/sign-out-others/", MeDevicesSignOutApi.as_view(), name="api-me-devices-sign-out"),
    path("me/devices/<str:device>/", MeDeviceApi.as_view(), name="api-me-device"),
    path("me/password/", MePasswordApi.as_view(), name="api-me-password"),
    path("me/", MeApi.as_view(), name="api-me"),
    path("me/facts/", MeFactsApi.as_view(), name="api-me-facts"),
    path("me/facts/history/", MeFactHistoryApi.as_view(), name="api-me-fact-history"),
    path("me/facts/<slug:key>/error-report/", FactErrorReportApi.as_view(), name="api-me-fact-error-report"),
    path("me/tags/", MeTagsApi.as_view(), name="api-me-tags"),
    path("me/tags/<slug:life_event>/", MeTagApi.as_view(), name="api-me-tag"),
    path("me/consents/", MeConsentsApi.as_view(), name="api-me-consents"),
    path("me/consents/<slug:purpose>/grant/", ConsentGrantApi.as_view(), name="api-me-consent-grant"),
    path("me/consents/<slug:purpose>/withdraw/", ConsentWithdrawApi.as_view(), name="api-me-consent-withdraw"),
    path("me/access-log/", MeAccessLogApi.as_view(), name="api-me-access-log"),
    path("me/export/", MeExportApi.as_view(), name="api-me-export"),
    path("me/identity/", MeIdentityApi.as_view(), name="api-me-identity"),
    path("me/identity/begin/", MeIdentityBeginApi.as_view(), name="api-me-identity-begin"),
    path("me/identity/complete/", MeIdentityCompleteApi.as_view(), name="api-me-identity-complete"),
    path("staff/citizens/", StaffCitizenLookupApi.as_view(), name="api-staff-citizen-lookup"),
    path("staff/citizens/<int:citizen_id>/", StaffCitizenApi.as_view(), name="api-staff-citizen"),
    path("audit/access-log/", AuditAccessLogApi.as_view(), name="api-audit-access-log"),
]
