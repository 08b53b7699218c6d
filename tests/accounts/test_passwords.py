"""Password rules: French common passwords, keyboard runs, the ANSSI/CNIL strength estimate.

Checked on the three pages where a password is chosen: sign-up, reset and change.
"""

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from accounts.passwords import alphabet_size, entropy_bits, is_common, repeated_unit
from tests.accounts.factories import PASSWORD, UserFactory
from tests.conftest import html

WEAK = {
    "aaaaaaaaaaaa": "répète le même caractère",
    "azertyuiopqs": "trop courant",
    "motdepasse12": "trop courant",
    "chorusprochorus": "pas assez robuste",
}
STRONG = [
    "Un-mot-de-passe-solide-42",
    "Chorus-Demo-2026!",
    "MonChatNoir2026",
    "correcthorsebatterystaple",
    "J3-su1s-un-Fournisseur",
]


@pytest.mark.parametrize(
    "password",
    [
        "motdepasse",
        "Soleil2024!",
        "M0tD3P4ss3-2026",
        "mot de passe 2026",
        "azeazeazeaze",
        "1q2w3e4r5t6y",
        "PoiuytrezA12",
        "&é\"'(-è_çà",
    ],
)
def test_common_french_passwords_are_recognised_dressed_up(password):
    assert is_common(password)


@pytest.mark.parametrize("password", STRONG)
def test_strong_passwords_are_not_common(password):
    assert not is_common(password)


def test_strength_estimate_follows_the_anssi_tables():
    assert alphabet_size("abc") == 26 and alphabet_size("aB1!") == 99 and alphabet_size("é") == 37
    assert round(entropy_bits("aB1!aB2?cD3;")) == 80  # 12 characters of the four kinds
    assert round(entropy_bits("abcdefghijklmnopq")) == 80  # 17 lower-case letters
    assert round(entropy_bits("abcdefghijklmnop")) < 80
    assert repeated_unit("abcabcabc") == "abc" and entropy_bits("abcabcabcabcabcabc") == entropy_bits("abc")


@pytest.mark.parametrize("password, message", WEAK.items())
def test_weak_passwords_of_the_audit_are_refused(password, message):
    with pytest.raises(ValidationError) as error:
        validate_password(password)
    assert any(message in text for text in error.value.messages), error.value.messages


@pytest.mark.parametrize("password", STRONG)
def test_strong_passwords_are_accepted(password):
    validate_password(password)


@pytest.mark.django_db
@pytest.mark.parametrize("password, message", WEAK.items())
def test_sign_up_refuses_weak_passwords_in_french(client, password, message):
    data = {
        "email": "nouvelle@entreprise.example",
        "first_name": "Jeanne",
        "last_name": "Durand",
        "password1": password,
        "password2": password,
        "accept_cgu": "on",
    }
    response = client.post(reverse("account_signup"), data)
    assert response.status_code == 200
    assert message in html(response)
    assert not User.objects.filter(email="nouvelle@entreprise.example").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("password, message", WEAK.items())
def test_password_change_refuses_weak_passwords(client, password, message):
    user = UserFactory()
    client.force_login(user)
    data = {"oldpassword": PASSWORD, "password1": password, "password2": password}
    response = client.post(reverse("account_change_password"), data)
    assert message in html(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_password_reset_refuses_weak_passwords(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"https?://\S+/compte/password/reset/key/\S+/", mail.outbox[0].body).group(0)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    for password, message in WEAK.items():
        response = client.post(form_url, {"password1": password, "password2": password})
        assert message in html(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
