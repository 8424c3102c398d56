"""GB 32100-2015 统一社会信用代码 validation, checked against published codes and an independent
implementation of the two check characters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.core.credit_code import credit_code_check, credit_code_is_valid

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def independent_check_characters(first_sixteen: str) -> str:
    """The organisation-code check (position 17) and the final check (18), written from the standards."""
    letter_values = {chr(ord("A") + offset): 10 + offset for offset in range(26)}
    body = first_sixteen[8:16]
    organisation_total = sum(
        (int(char) if char.isdigit() else letter_values[char]) * weight
        for char, weight in zip(body, [3, 7, 9, 10, 5, 8, 4, 2], strict=True)
    )
    organisation_check = {10: "X", 11: "0"}.get(11 - organisation_total % 11, str(11 - organisation_total % 11))
    seventeen = first_sixteen + organisation_check
    total = sum(CHARSET.index(char) * pow(3, position, 31) for position, char in enumerate(seventeen))
    return organisation_check + CHARSET[(31 - total % 31) % 31]


@pytest.mark.parametrize("code", [
    "91350100M000100Y43",  # the example printed in GB 32100-2015
    "91110108551385082Q",
    "91440300708461136T",
    " 91350100m000100y43 ",  # spaces and lower case are normalised
])
def test_published_codes_are_valid(code: str) -> None:
    check = credit_code_check(code)
    assert check.is_valid
    assert check.code == "91350100M000100Y43" or check.code == code.strip().upper()


@pytest.mark.parametrize(("code", "problem"), [
    ("", "empty"),
    ("91350100M000100Y4", "length"),
    ("91350100M000100Y433", "length"),
    ("91350100M0001O0Y43", "charset"),  # letter O is not used
    ("B1350100M000100Y43", "authority"),
    ("94350100M000100Y43", "organisation_type"),  # 工商 issues only types 1, 2, 3
    ("91990100M000100Y43", "division"),  # no province 99
    ("91350100M000100Y53", "organisation_check"),
    ("91350100M000100Y44", "check_character"),
])
def test_invalid_codes_report_the_problem(code: str, problem: str) -> None:
    check = credit_code_check(code)
    assert not check.is_valid
    assert check.problem == problem
    assert check.message


def test_weights_are_powers_of_three_mod_31() -> None:
    from zhili.core.credit_code import CREDIT_CODE_WEIGHTS

    assert tuple(pow(3, position, 31) for position in range(17)) == CREDIT_CODE_WEIGHTS


@settings(max_examples=200, deadline=None)
@given(
    authority_type=st.sampled_from(["11", "12", "51", "52", "91", "92", "93", "Y1"]),
    division=st.sampled_from(["320402", "110108", "440300", "100000"]),
    body=st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
)
def test_codes_with_independently_computed_checks_are_valid(authority_type: str, division: str, body: str) -> None:
    first_sixteen = authority_type + division + body
    code = first_sixteen + independent_check_characters(first_sixteen)
    if any(char not in CHARSET for char in code):
        return  # an organisation check of "X" is in the charset; nothing else can fall outside
    assert credit_code_is_valid(code)
    wrong_last = code[:17] + CHARSET[(CHARSET.index(code[17]) + 1) % 31]
    assert credit_code_check(wrong_last).problem == "check_character"
