"""Password validators after the ANSSI and CNIL recommendations: French common passwords, strength.

``FrenchCommonPasswordValidator`` refuses the passwords of ``common_passwords_fr.txt`` and the
runs of a keyboard row or column (AZERTY, QWERTY), also when they are dressed up: capitals,
accents, digits or symbols before and after (``Soleil2024!``), separators (``mot-de-passe``),
« l33t » substitutions (``m0td3p4ss3``) or repetitions (``azeazeaze``).

``PasswordStrengthValidator`` estimates the strength the way the ANSSI and the CNIL (deliberation
2022-100) do: length × log2(size of the alphabet used), the alphabet being 26 lower-case letters,
26 capitals, 10 digits and 37 special characters (an AZERTY keyboard; accented letters count
there), rounded to the bit as their tables are. 80 bits are asked for a password that is the only
factor: 12 characters of the four kinds, 14 without special characters, 17 lower-case letters.
A password that repeats one pattern is measured on the pattern; more than
``max_repeated_characters`` times the same character in a row is refused outright.
"""

import math
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "common_passwords_fr.txt"

# Rows and columns of the keyboards, read both ways by the validator.
KEYBOARD_SEQUENCES = (
    "azertyuiopqsdfghjklmwxcvbn",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "aqwzsxedcrfvtgbyhnujikolpm",
    "qazwsxedcrfvtgbyhnujmikolp",
    "abcdefghijklmnopqrstuvwxyz",
    "1234567890",
    "&é\"'(-è_çà)=",
)
MIN_SEQUENCE_LENGTH = 3

LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "5": "s", "$": "s", "7": "t", "!": "i"})
LEET_L = str.maketrans({"1": "l", "|": "l"})

# Alphabet sizes of the ANSSI/CNIL estimate.
LOWER, UPPER, DIGITS, SPECIALS = 26, 26, 10, 37


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def repeated_unit(text: str) -> str:
    """The shortest pattern whose repetition makes ``text`` (``text`` itself when there is none)."""
    if not text:
        return text
    match = re.fullmatch(r"(.+?)\1+", text, flags=re.DOTALL)
    return match.group(1) if match else text


def _candidates(password: str) -> set[str]:
    """The forms under which a dressed-up common password shows its base word."""
    lowered = _strip_accents(password.lower())
    forms = {password.lower(), lowered}
    forms.add(re.sub(r"^[^a-z]+|[^a-z]+$", "", lowered))  # digits and symbols around a word
    for form in list(forms):
        forms.add(form.translate(LEET))
        forms.add(form.translate(LEET_L).translate(LEET))
    for form in list(forms):
        forms.add(re.sub(r"[\s\-_.,;:/+*'\"]+", "", form))  # mot-de-passe, mot de passe
        forms.add(re.sub(r"^[^a-z]+|[^a-z]+$", "", form.translate(LEET)))
    for form in list(forms):
        forms.add(repeated_unit(form))
    return {form for form in forms if form}


def _is_keyboard_run(text: str) -> bool:
    if len(text) < MIN_SEQUENCE_LENGTH:
        return False
    return any(text in sequence or text in sequence[::-1] for sequence in KEYBOARD_SEQUENCES)


def is_common(password: str) -> bool:
    words = common_passwords()
    return any(form in words or _is_keyboard_run(form) for form in _candidates(password))


def alphabet_size(password: str) -> int:
    size = 0
    if any("a" <= char <= "z" for char in password):
        size += LOWER
    if any("A" <= char <= "Z" for char in password):
        size += UPPER
    if any(char.isdigit() for char in password):
        size += DIGITS
    if any(not ("a" <= char <= "z" or "A" <= char <= "Z" or char.isdigit()) for char in password):
        size += SPECIALS
    return size


def entropy_bits(password: str) -> float:
    """ANSSI/CNIL estimate, measured on the repeated pattern when there is one."""
    unit = repeated_unit(password)
    size = alphabet_size(unit)
    return len(unit) * math.log2(size) if size else 0.0


def longest_run(password: str) -> int:
    longest = current = 0
    previous = None
    for char in password:
        current = current + 1 if char == previous else 1
        previous = char
        longest = max(longest, current)
    return longest


class FrenchCommonPasswordValidator:
    """Refuse common French passwords and keyboard runs, even with digits, capitals or symbols added."""

    def validate(self, password, user=None):
        if is_common(password):
            raise ValidationError(
                _(
                    "Ce mot de passe est trop courant : il repose sur un mot de passe très utilisé ou une "
                    "suite de touches du clavier (comme « azerty »), même avec des chiffres ou des "
                    "majuscules autour."
                ),
                code="password_too_common",
            )

    def get_help_text(self):
        return _("Votre mot de passe ne doit pas être un mot de passe courant ni une suite de touches du clavier.")


class PasswordStrengthValidator:
    """Ask for ``min_entropy_bits`` (ANSSI/CNIL estimate) and no long run of one character."""

    def __init__(self, min_entropy_bits=80, max_repeated_characters=3):
        self.min_entropy_bits = min_entropy_bits
        self.max_repeated_characters = max_repeated_characters

    def validate(self, password, user=None):
        errors = []
        if longest_run(password) > self.max_repeated_characters:
            errors.append(
                ValidationError(
                    ngettext(
                        "Ce mot de passe répète le même caractère plus de %(count)d fois de suite.",
                        "Ce mot de passe répète le même caractère plus de %(count)d fois de suite.",
                        self.max_repeated_characters,
                    ),
                    code="password_repeated_characters",
                    params={"count": self.max_repeated_characters},
                )
            )
        if round(entropy_bits(password)) < self.min_entropy_bits:
            errors.append(
                ValidationError(
                    _(
                        "Ce mot de passe n'est pas assez robuste : mêlez minuscules, majuscules, chiffres et "
                        "caractères spéciaux (12 caractères des quatre sortes suffisent), ou allongez-le "
                        "(14 caractères mêlant minuscules, majuscules et chiffres, ou 17 lettres minuscules)."
                    ),
                    code="password_too_weak",
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self):
        return _(
            "Votre mot de passe doit être robuste : 12 caractères mêlant minuscules, majuscules, chiffres et "
            "caractères spéciaux, ou plus long (14 caractères mêlant minuscules, majuscules et chiffres, ou 17 lettres minuscules)."
        )
