"""The consent API: the same services as the consent centre, one call each way."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.http import request_member
from profiles.models import ConsentMethod
from profiles.selectors import consent_states
from profiles.services import ConsentError, consent_give, consent_withdraw


class ConsentList(APIView):
    """GET: the signed-in member's state for every purpose."""

    def get(self, request: Request) -> Response:
        states = consent_states(user=request_member(request))
        return Response(
            [
                {
                    "purpose": key,
                    "title": state.purpose.title,
                    "required": state.purpose.required,
                    "granted": state.granted,
                    "active": state.active,
                    "needs_reconsent": state.needs_reconsent,
                    "policy_version": state.version,
                    "current_policy_version": state.purpose.version,
                    "since": state.since,
                }
                for key, state in states.items()
            ]
        )


class ConsentChange(APIView):
    """POST {"action": "grant" | "withdraw"}: one ledger event; answers with its receipt."""

    def post(self, request: Request, purpose: str) -> Response:
        action = request.data.get("action") if hasattr(request.data, "get") else None
        change: Any = {"grant": consent_give, "withdraw": consent_withdraw}.get(str(action))
        if change is None:
            return Response({"error": "Send action: grant or withdraw."}, status=400)
        try:
            record = change(user=request_member(request), purpose=purpose, method=ConsentMethod.API)
        except ConsentError as exc:
            return Response({"error": str(exc)}, status=400)
        return Response(
            {
                "purpose": record.purpose,
                "granted": record.granted,
                "policy_version": record.policy_version,
                "consentReceiptID": str(record.receipt_id),
                "receipt": record.receipt,
            }
        )
