"""The identity API under /api/v1/me/identity/: whether my identity is verified and how I can prove it,
then begin (send a code, or get the identity platform's address) and complete (the code)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.permissions import Allowed
from profiles.selectors import citizen_of
from profiles.services.identity import identity_begin, identity_complete, identity_methods
from services_portal.core.api import ErrorSerializer

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 429: ErrorSerializer}


class MethodOutput(serializers.Serializer):
    method = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    available = serializers.BooleanField()
    detail = serializers.CharField(help_text="What to know before starting, such as the masked phone a code goes to.")
    takes_code = serializers.BooleanField()


class IdentityOutput(serializers.Serializer):
    verified = serializers.BooleanField(help_text="Whether the account is bound to the person of its ID number.")
    verified_at = serializers.DateTimeField(allow_null=True)
    verified_by = serializers.CharField(help_text='How: "sms", "counter", or an identity platform\'s name; "" if not.')
    methods = MethodOutput(many=True, help_text="The ways to prove who I am; none once verified.")


def _status(citizen) -> dict:
    return {
        "verified": citizen.bound_at is not None,
        "verified_at": citizen.bound_at,
        "verified_by": citizen.bound_by,
        "methods": identity_methods(citizen),
    }


class MeIdentityApi(APIView):
    """Whether my identity is verified, and the ways I can prove it."""

    permission_classes = [Allowed.to("self.manage")]

    @extend_schema(tags=["me"], responses={200: IdentityOutput, 403: ErrorSerializer})
    def get(self, request):
        return Response(IdentityOutput(_status(citizen_of(request.user))).data)


class MeIdentityBeginApi(APIView):
    """Start proving who I am: sends a code (`sms`), or says where to get one (`counter`). An identity
    platform's method answers with `redirect_url`, where the app sends the person."""

    permission_classes = [Allowed.to("self.manage")]
    throttle_scope = "code_send"

    class BeginInput(serializers.Serializer):
        method = serializers.CharField(max_length=32)

    class BeginOutput(serializers.Serializer):
        detail = serializers.CharField()
        redirect_url = serializers.CharField(allow_blank=True)

    @extend_schema(tags=["me"], request=BeginInput, responses={200: BeginOutput, **ERRORS})
    def post(self, request):
        payload = self.BeginInput(data=request.data)
        payload.is_valid(raise_exception=True)
        started = identity_begin(
            citizen=citizen_of(request.user), method=payload.validated_data["method"], request=request
        )
        return Response(self.BeginOutput({"detail": started.message, "redirect_url": started.redirect_url}).data)


class MeIdentityCompleteApi(APIView):
    """Prove who I am with the code (by text message, or from the counter's slip): the account then holds
    the person's record, with what departments delivered."""

    permission_classes = [Allowed.to("self.manage")]
    throttle_scope = "code_send"

    class CompleteInput(serializers.Serializer):
        method = serializers.CharField(max_length=32)
        code = serializers.CharField(max_length=20)

    @extend_schema(tags=["me"], request=CompleteInput, responses={200: IdentityOutput, **ERRORS})
    def post(self, request):
        payload = self.CompleteInput(data=request.data)
        payload.is_valid(raise_exception=True)
        record = identity_complete(
            citizen=citizen_of(request.user),
            method=payload.validated_data["method"],
            data={"code": payload.validated_data["code"]},
            request=request,
        )
        return Response(IdentityOutput(_status(record)).data)
