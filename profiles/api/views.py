"""profiles' endpoints: the account and its public profile settings, consents and receipts,
tokens, authorised apps, notifications, export.

Each view validates with its own serializer, then calls the same service as the page.
"""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.reauthentication import did_recently_reauthenticate
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import logout
from django.db import transaction
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles import selectors
from profiles.api.fields import (
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
)
from profiles.api.problems import FORBIDDEN, Problem, service_error
from profiles.http import request_member
from profiles.models import (
    ConsentMethod,
    ConsentRecord,
    DataExport,
    ExportStatus,
    Notification,
    NotificationKind,
    ProfileLink,
    User,
)
from profiles.receipts import receipt_tokens, receipt_verify
from profiles.services import ConsentError, consent_give, consent_withdraw
from profiles.services.api_tokens import (
    TokenRefused,
    api_token_create,
    api_token_revoke,
    oauth_app_revoke,
)
from profiles.services.erasure import account_erase
from profiles.services.exports import data_export_downloaded, data_export_request
from profiles.services.handles import (
    BIO_MAX,
    DISPLAY_NAME_MAX,
    HANDLE_MAX,
    HandleError,
    handle_set,
    profile_update,
)
from profiles.services.members import MemberError, member_update
from profiles.services.notifications import (
    NotificationError,
    notification_email_choices_set,
    notifications_mark_read,
)

service_error(ConsentError, "consent-refused", "This consent change cannot be made")
service_error(TokenRefused, "token-refused", "This token change cannot be made")
service_error(MemberError, "account-refused", "This account change cannot be made")
service_error(HandleError, "profile-refused", "This handle or profile change cannot be made")
service_error(NotificationError, "notification-refused", "This notification change cannot be made")


# --- me ------------------------------------------------------------------------------


class MeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    display_name = StrictCharField(max_length=80, allow_blank=True)
    public_slug = serializers.CharField(read_only=True)
    date_joined = serializers.DateTimeField(read_only=True)


class MeDeleteSerializer(serializers.Serializer[Any]):
    password = StrictCharField(required=False, allow_blank=True, write_only=True)


class MeView(APIView):
    """The member's account. Deleting it needs the password, or (in the browser session) a
    reauthentication in the last few minutes; it is erased at once."""

    serializer_class = MeSerializer
    parser_classes = [JSONParser]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request_member(request)).data)

    @extend_schema(request=MeSerializer, responses=MeSerializer)
    def patch(self, request: Request) -> Response:
        data = MeSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        member = request_member(request)
        if "display_name" in data.validated_data:
            member = member_update(user=member, display_name=data.validated_data["display_name"])
        return Response(MeSerializer(member).data)

    @extend_schema(request=MeDeleteSerializer, responses={204: None})
    def delete(self, request: Request) -> Response:
        data = MeDeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = request_member(request)
        password = data.validated_data.get("password") or ""
        session = request.auth is None
        recently = session and did_recently_reauthenticate(request._request)
        if not recently and not (password and member.check_password(password)):
            raise Problem(
                FORBIDDEN,
                "Send your password (field `password`) to delete the account, or sign in "
                "again in the browser first.",
            )
        account_erase(user=member)
        if session:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- me/profile: handle, display name, bio, shown accounts -------------------------------


class AccountSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    provider = serializers.CharField()
    uid = serializers.CharField()
    shown = serializers.BooleanField(help_text="Linked from the public page.")


class ProfileSerializer(serializers.Serializer[Any]):
    handle = StrictCharField(
        max_length=HANDLE_MAX + 1,
        allow_null=True,
        help_text="3 to 30 letters a-z, digits or _ (an @ in front is ignored), with a letter; "
        "not reserved, not taken. Your old handle stays yours (and redirects) for a while.",
    )
    display_name = StrictCharField(max_length=DISPLAY_NAME_MAX, allow_blank=True)
    bio = StrictCharField(max_length=BIO_MAX, allow_blank=True)
    shown_accounts = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=100,
        help_text="Ids of your connected accounts (from `accounts`) to link from your page.",
    )
    accounts = AccountSerializer(many=True, read_only=True)


def _profile_body(member: User) -> dict[str, Any]:
    shown = set(ProfileLink.objects.filter(user=member).values_list("social_account_id", flat=True))
    accounts = [
        {"id": a.pk, "provider": a.provider, "uid": a.uid, "shown": a.pk in shown}
        for a in SocialAccount.objects.filter(user=member).order_by("provider", "pk")
    ]
    return {
        "handle": member.handle,
        "display_name": member.display_name,
        "bio": member.bio,
        "shown_accounts": sorted(shown),
        "accounts": accounts,
    }


class ProfileView(APIView):
    """Your public identity: handle, display name, bio, and which connected accounts your
    public page links to. Others see it only while you grant ``public_profile`` (see
    ``profiles/{handle}``). PATCH changes the fields sent; a refusal changes nothing."""

    parser_classes = [JSONParser]

    @extend_schema(responses=ProfileSerializer)
    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(_profile_body(request_member(request))).data)

    @extend_schema(request=ProfileSerializer(partial=True), responses=ProfileSerializer)
    def patch(self, request: Request) -> Response:
        data = ProfileSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        member = request_member(request)
        with transaction.atomic():  # both services or neither
            if fields.get("handle") is not None:
                handle_set(member=member, handle=fields["handle"])
            if {"display_name", "bio", "shown_accounts"} & set(fields):
                current = _profile_body(member)
                profile_update(
                    member=member,
                    display_name=fields.get("display_name", current["display_name"]),
                    bio=fields.get("bio", current["bio"]),
                    shown_account_ids=fields.get("shown_accounts", current["shown_accounts"]),
                )
        member.refresh_from_db()
        return Response(ProfileSerializer(_profile_body(member)).data)


# --- consents --------------------------------------------------------------------------


class ConsentStateSerializer(serializers.Serializer[Any]):
    purpose = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField()
    required = serializers.BooleanField()  # type: ignore[assignment]
    granted = serializers.BooleanField()
    active = serializers.BooleanField()
    needs_reconsent = serializers.BooleanField()
    policy_version = serializers.CharField(allow_null=True)
    current_policy_version = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)


class ConsentStatesSerializer(serializers.Serializer[Any]):
    purposes = ConsentStateSerializer(many=True)


def _state_row(key: str, state: Any) -> dict[str, Any]:
    return {
        "purpose": key,
        "title": state.purpose.title,
        "text": state.purpose.text,
        "required": state.purpose.required,
        "granted": state.granted,
        "active": state.active,
        "needs_reconsent": state.needs_reconsent,
        "policy_version": state.version,
        "current_policy_version": state.purpose.version,
        "since": state.since,
    }


class ConsentStateView(APIView):
    """The member's current answer for every purpose (a fixed set, not a list to page)."""

    @extend_schema(responses=ConsentStatesSerializer)
    def get(self, request: Request) -> Response:
        states = selectors.consent_states(user=request_member(request))
        rows = [_state_row(key, state) for key, state in states.items()]
        return Response(ConsentStatesSerializer({"purposes": rows}).data)


class ConsentRecordSerializer(serializers.ModelSerializer[ConsentRecord]):
    class Meta:
        model = ConsentRecord
        fields = ["receipt_id", "purpose", "granted", "policy_version", "method", "created_at"]


class ConsentHistoryView(generics.ListAPIView[ConsentRecord]):
    """Every consent event of the member, newest first."""

    serializer_class = ConsentRecordSerializer
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> Any:
        return ConsentRecord.objects.filter(user=request_member(self.request))


class ConsentChangeSerializer(serializers.Serializer[Any]):
    purpose = serializers.CharField()
    granted = serializers.BooleanField()
    policy_version = serializers.CharField()
    consentReceiptID = serializers.UUIDField()  # noqa: N815 (the Kantara receipt's name)
    receipt = serializers.CharField(help_text="The signed receipt (compact JWS).")


class ConsentChangeView(APIView):
    """Grant or withdraw one purpose: one ledger event with its signed receipt, and the
    same effects as the consent centre (withdrawing ``scoring`` deletes scores at once;
    withdrawing ``api_access`` revokes every third-party token)."""

    change: Any = None

    @extend_schema(request=None, responses={200: ConsentChangeSerializer})
    def post(self, request: Request, purpose: str) -> Response:
        record = type(self).change(
            user=request_member(request), purpose=purpose, method=ConsentMethod.API
        )
        return Response(
            ConsentChangeSerializer(
                {
                    "purpose": record.purpose,
                    "granted": record.granted,
                    "policy_version": record.policy_version,
                    "consentReceiptID": record.receipt_id,
                    "receipt": record.receipt,
                }
            ).data
        )


class ConsentGrantView(ConsentChangeView):
    change = staticmethod(consent_give)


class ConsentWithdrawView(ConsentChangeView):
    change = staticmethod(consent_withdraw)


ReceiptDocument = inline_serializer(
    "ReceiptDocument",
    {
        "consentReceiptID": serializers.UUIDField(),
        "jws": serializers.CharField(),
        "receipt": serializers.DictField(),
        "verify": inline_serializer(
            "ReceiptVerifyLinks", {"jwks": serializers.URLField(), "page": serializers.URLField()}
        ),
    },
)


class ReceiptView(APIView):
    """One of the member's signed consent receipts, decoded, with how to verify it."""

    @extend_schema(responses=ReceiptDocument)
    def get(self, request: Request, receipt_id: str) -> Response:
        record = selectors.consent_record_for_member(
            member=request_member(request), receipt_id=receipt_id
        )
        return Response(selectors.receipt_document(record))


class ReceiptVerifyInput(serializers.Serializer[Any]):
    receipt = StrictCharField(max_length=1024 * 1024, help_text="A JWS, or a receipt file's JSON.")


class ReceiptVerification(serializers.Serializer[Any]):
    genuine = serializers.BooleanField()
    reason = serializers.CharField()
    kid = serializers.CharField(allow_null=True)
    receipt = serializers.DictField(allow_null=True)


class ReceiptVerifyView(APIView):
    """Anyone may check a receipt: is it genuine, signed by Influence's published key?"""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(request=ReceiptVerifyInput, responses=ReceiptVerification(many=True))
    def post(self, request: Request) -> Response:
        data = ReceiptVerifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = receipt_tokens(data.validated_data["receipt"])
        if not tokens:
            raise serializers.ValidationError({"receipt": ["No receipt found in this text."]})
        results = [receipt_verify(token) for token in tokens[:100]]
        return Response(
            ReceiptVerification(
                [
                    {"genuine": r.genuine, "reason": r.reason, "kid": r.kid, "receipt": r.receipt}
                    for r in results
                ],
                many=True,
            ).data
        )


# --- personal access tokens ------------------------------------------------------------


class TokenSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=80)
    prefix = serializers.CharField(read_only=True)
    scope = serializers.ChoiceField(choices=["read", "write"])
    created_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    last_used_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    usable = serializers.BooleanField(read_only=True)


class TokenCreateSerializer(serializers.Serializer[Any]):
    name = StrictCharField(max_length=80)
    scope = StrictChoiceField(choices=["read", "write"])
    expires_in_days = StrictIntegerField(min_value=1, max_value=3650, default=90)


class NewTokenSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once; store it now.")


class TokenListView(generics.ListAPIView[Any]):
    """The member's personal access tokens (never the secrets). POST makes one (browser
    session only), answering with the secret once."""

    serializer_class = TokenSerializer
    session_only = True

    def get_queryset(self) -> Any:
        return selectors.member_api_tokens(member=request_member(self.request))

    @extend_schema(request=TokenCreateSerializer, responses={201: NewTokenSerializer})
    def post(self, request: Request) -> Response:
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = api_token_create(user=request_member(request), **data.validated_data)
        body = {**TokenSerializer(new.token).data, "token": new.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    @extend_schema(responses=TokenSerializer)
    def get(self, request: Request, token_id: int) -> Response:
        token = selectors.api_token_for_member(member=request_member(request), token_id=token_id)
        return Response(TokenSerializer(token).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, token_id: int) -> Response:
        token = selectors.api_token_for_member(member=request_member(request), token_id=token_id)
        api_token_revoke(user=request_member(request), token_id=token.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- third-party apps ------------------------------------------------------------------


class AppSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    last_authorised = serializers.DateTimeField(allow_null=True)


class AppListView(generics.ListAPIView[Any]):
    """Third-party apps the member authorised and that still hold access."""

    serializer_class = AppSerializer
    ordering = ("id",)

    def get_queryset(self) -> Any:
        return selectors.member_authorised_apps(member=request_member(self.request))


class AppDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, app_id: int) -> Response:
        member = request_member(request)
        app = selectors.authorised_app_for_member(member=member, app_id=app_id)
        oauth_app_revoke(user=member, application_id=app.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- notifications ---------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at"]


def _flag(request: Request, name: str) -> bool:
    """A boolean query parameter: absent is false; anything but true/false is a 400 that
    names the parameter (``?unread=null`` is not silently read as false)."""
    values = request.query_params.getlist(name)
    if not values:
        return False
    if len(values) > 1 or values[0].lower() not in ("true", "false"):
        raise serializers.ValidationError({name: ["Must be true or false, once."]})
    return values[0].lower() == "true"


class NotificationListView(generics.ListAPIView[Notification]):
    """What you were told, newest first (``unread=true``: only the unread ones)."""

    serializer_class = NotificationSerializer
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> Any:
        notes = selectors.member_notifications(member=request_member(self.request))
        if _flag(self.request, "unread"):
            notes = notes.filter(read_at__isnull=True)
        return notes

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="Only the unread ones when true.")]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class MarkedSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")
    unread = serializers.IntegerField(help_text="How many are still unread.")


def _marked(member: User, marked: int) -> Response:
    unread = selectors.notifications_unread_count(member=member)
    return Response(MarkedSerializer({"marked": marked, "unread": unread}).data)


class NotificationsReadView(APIView):
    """Mark every notification read."""

    @extend_schema(
        request=None, responses=MarkedSerializer, operation_id="me_notifications_read_all"
    )
    def post(self, request: Request) -> Response:
        member = request_member(request)
        return _marked(member, notifications_mark_read(member=member))


class NotificationReadView(APIView):
    """Mark one notification read."""

    @extend_schema(request=None, responses=MarkedSerializer, operation_id="me_notification_read")
    def post(self, request: Request, notification_id: int) -> Response:
        member = request_member(request)
        if not selectors.member_notifications(member=member).filter(pk=notification_id).exists():
            raise Http404("No such notification.")
        return _marked(member, notifications_mark_read(member=member, ids=[notification_id]))


class EmailChoiceSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    email = serializers.BooleanField()


class EmailChoicesSerializer(serializers.Serializer[Any]):
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=NotificationKind.choices),
        max_length=len(NotificationKind.values),
        help_text="The kinds you also want by email; every other kind is on site only.",
    )
    choices = EmailChoiceSerializer(many=True, read_only=True)


def _email_choices(member: User) -> dict[str, Any]:
    kinds = selectors.notification_email_kinds(member=member)
    return {
        "kinds": sorted(kinds),
        "choices": [
            {"kind": value, "label": label, "email": value in kinds}
            for value, label in NotificationKind.choices
        ],
    }


class NotificationEmailView(APIView):
    """Which kinds of notification also come by email (none, unless you choose)."""

    parser_classes = [JSONParser]

    @extend_schema(responses=EmailChoicesSerializer)
    def get(self, request: Request) -> Response:
        return Response(EmailChoicesSerializer(_email_choices(request_member(request))).data)

    @extend_schema(request=EmailChoicesSerializer, responses=EmailChoicesSerializer)
    def put(self, request: Request) -> Response:
        data = EmailChoicesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = request_member(request)
        notification_email_choices_set(member=member, kinds=data.validated_data["kinds"])
        return Response(EmailChoicesSerializer(_email_choices(member)).data)


# --- export ----------------------------------------------------------------------------


class ExportSerializer(serializers.ModelSerializer[DataExport]):
    download = serializers.SerializerMethodField()

    class Meta:
        model = DataExport
        fields = [
            "id",
            "status",
            "progress",
            "step",
            "size",
            "message",
            "created_at",
            "finished_at",
            "expires_at",
            "download",
        ]

    def get_download(self, export: DataExport) -> str | None:
        if export.status != ExportStatus.DONE or not export.file or export.expired:
            return None
        return f"/api/v1/me/export/{export.pk}/download"


class ExportListView(generics.ListAPIView[DataExport]):
    """The member's exports. POST starts one (or returns the one under way) and answers
    202; poll its status, then download it."""

    serializer_class = ExportSerializer

    def get_queryset(self) -> Any:
        return DataExport.objects.filter(user=request_member(self.request))

    @extend_schema(request=None, responses={202: ExportSerializer})
    def post(self, request: Request) -> Response:
        export = data_export_request(user=request_member(request))
        return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailView(APIView):
    @extend_schema(responses=ExportSerializer)
    def get(self, request: Request, export_id: str) -> Response:
        export = selectors.data_export_for_member(
            member=request_member(request), export_id=export_id
        )
        return Response(ExportSerializer(export).data)


class ExportDownloadView(APIView):
    @extend_schema(
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="The export file (influence-export/1)."
            )
        }
    )
    def get(self, request: Request, export_id: str) -> FileResponse:
        export = selectors.data_export_download(member=request_member(request), export_id=export_id)
        data_export_downloaded(export=export)
        return FileResponse(
            export.file.open("rb"),
            as_attachment=True,
            filename=f"influence-export-{export.created_at:%Y-%m-%d}.json",
            content_type="application/json",
        )
