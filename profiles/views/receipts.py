"""Consent receipts: members download theirs; anyone can fetch the keys and verify one."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from profiles.forms import ReceiptVerifyForm
from profiles.http import request_member
from profiles.receipts import jwks as published_keys
from profiles.receipts import receipt_verify
from profiles.selectors import consent_record_for_member, receipt_document, receipt_documents


def _attachment(data: object, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
def consent_receipts(request: HttpRequest) -> HttpResponse:
    return _attachment(
        receipt_documents(user=request_member(request)), "influence-consent-receipts.json"
    )


@never_cache
@login_required
def consent_receipt(request: HttpRequest, receipt_id: str) -> HttpResponse:
    record = consent_record_for_member(member=request_member(request), receipt_id=receipt_id)
    return _attachment(receipt_document(record), f"consent-receipt-{record.receipt_id}.json")


def jwks(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(published_keys())
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def receipt_verify_page(request: HttpRequest) -> HttpResponse:
    """Say whether each receipt in a paste or file is genuine; works for anyone."""
    posted = request.method == "POST"
    form = ReceiptVerifyForm(request.POST if posted else None, request.FILES if posted else None)
    results = []
    if request.method == "POST" and form.is_valid():
        results = [receipt_verify(token) for token in form.cleaned_data["tokens"]]
    return render(request, "profiles/receipt_verify.html", {"form": form, "results": results})
