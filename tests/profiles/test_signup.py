from __future__ import annotations

import pytest
from django.urls import reverse

from profiles.models import ConsentRecord, User
from profiles.purposes import Purpose
from tests.builders import SIGNUP_FORM

pytestmark = pytest.mark.django_db


def test_the_sign_up_page_shows_every_purpose_unticked(client) -> None:
    html = client.get(reverse("account_signup")).content.decode()
    for purpose in Purpose:
        assert f'name="consent_{purpose}"' in html
    assert "checked" not in html
    assert "withdraw any consent at any time" in html


def test_sign_up_creates_the_member_with_their_consents(client, mailoutbox) -> None:
    response = client.post(reverse("account_signup"), {**SIGNUP_FORM, "consent_scoring": "on"})
    assert response.status_code == 302
    user = User.objects.get(email="new@example.org")
    purposes = set(ConsentRecord.objects.filter(user=user).values_list("purpose", flat=True))
    assert purposes == {Purpose.TERMS, Purpose.SCORING}
    assert len(mailoutbox) == 1  # the verification code


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("consent_terms", "You must accept the terms of the account"),
        ("age_confirmed", "You must be at least 16 years old"),
    ],
)
def test_sign_up_without_a_required_answer_is_refused_and_creates_nothing(
    client, missing: str, message: str
) -> None:
    data = {k: v for k, v in SIGNUP_FORM.items() if k != missing}
    response = client.post(reverse("account_signup"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()
    assert not ConsentRecord.objects.exists()


def test_a_second_sign_up_with_the_same_email_creates_nothing(client, mailoutbox) -> None:
    client.post(reverse("account_signup"), SIGNUP_FORM)
    client.logout()
    # allauth prevents account enumeration (the owner is told by email) and rate-limits
    # mails to one address, so the answer is a neutral page or a 429; never a second member.
    response = client.post(reverse("account_signup"), {**SIGNUP_FORM, "consent_scoring": "on"})
    assert response.status_code in (302, 429)
    assert User.objects.count() == 1
    assert ConsentRecord.objects.count() == 1


def test_a_social_sign_up_records_each_answer_once(rf) -> None:
    from allauth.core import context
    from allauth.socialaccount.forms import SignupForm
    from allauth.socialaccount.models import SocialAccount, SocialLogin
    from django.contrib.sessions.middleware import SessionMiddleware

    request = rf.post("/accounts/3rdparty/signup/")
    SessionMiddleware(lambda r: None).process_request(request)  # type: ignore[arg-type,return-value]
    login = SocialLogin(
        user=User(email="social@example.org"),
        account=SocialAccount(provider="testidp", uid="42"),
    )
    data = {"email": "social@example.org", "age_confirmed": "on", "consent_terms": "on"}
    with context.request_context(request):
        form = SignupForm(data={**data, "consent_scoring": "on"}, sociallogin=login)
        assert form.is_valid(), form.errors
        form.save(request)
    user = User.objects.get(email="social@example.org")
    purposes = ConsentRecord.objects.filter(user=user).values_list("purpose", flat=True)
    assert sorted(purposes) == [Purpose.SCORING, Purpose.TERMS]  # once each
    assert SocialAccount.objects.filter(user=user, uid="42").exists()


def test_a_social_sign_up_without_the_consent_step_creates_nothing(rf) -> None:
    from allauth.socialaccount.models import SocialAccount, SocialLogin

    from profiles.adapters import SocialAccountAdapter

    login = SocialLogin(
        user=User(email="auto@example.org"), account=SocialAccount(provider="x", uid="1")
    )
    with pytest.raises(PermissionError):
        SocialAccountAdapter().save_user(rf.get("/"), login, form=None)
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Xq7#vLp2!zR", "at least 12 characters"),  # 11 characters, otherwise strong
        ("password1234", "too common"),  # in the bundled list of breached passwords
    ],
)
def test_a_short_or_breached_password_is_refused_and_creates_nothing(
    client, password: str, message: str
) -> None:
    data = {**SIGNUP_FORM, "password1": password, "password2": password}
    response = client.post(reverse("account_signup"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_a_twelve_character_password_is_enough(client) -> None:
    data = {**SIGNUP_FORM, "password1": "Xq7#vLp2!zRw", "password2": "Xq7#vLp2!zRw"}
    assert client.post(reverse("account_signup"), data).status_code == 302
    assert User.objects.filter(email="new@example.org").exists()
