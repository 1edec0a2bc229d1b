"""Policy patterns: personal data a request may forbid (emails, phone numbers, IBANs)."""

from __future__ import annotations

import re

PII_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    # International or national numbers: 9+ digits, optionally with +, spaces, dots, dashes
    # or parentheses between groups (a year or a reference like "2024-15" is too short).
    "phone": re.compile(r"(?<![\w/])\+?\(?\d{1,4}\)?(?:[ .\-]?\(?\d{2,4}\)?){2,5}(?![\w/])"),
    "iban": re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,4})?\b"),
}
_MIN_PHONE_DIGITS = 9


def find_pii(text: str) -> list[tuple[str, str]]:
    """(kind, match) for every piece of personal data found."""
    found = []
    for kind, pattern in PII_PATTERNS.items():
        for match in pattern.finditer(text):
            value = match.group(0)
            if kind == "phone" and sum(c.isdigit() for c in value) < _MIN_PHONE_DIGITS:
                continue
            found.append((kind, value))
    return found
