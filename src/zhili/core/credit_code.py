"""统一社会信用代码 (unified social credit code, GB 32100-2015): validation and check characters.

An 18-character code is laid out as::

    1   registration authority (登记管理部门码)       e.g. 9 = 市场监管(工商)
    2   organisation type within that authority      e.g. 1 = 企业
    3-8 administrative division code (行政区划码)     e.g. 320402
    9-17 organisation code (组织机构代码, GB 11714), 8 body characters + its own check character
    18  check character over positions 1-17 (weights 3^i mod 31, modulus 31)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORGANISATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Registration authority → organisation types it may issue (GB 32100-2015, 表 1).
ORGANISATION_TYPES_BY_AUTHORITY: dict[str, frozenset[str]] = {
    "1": frozenset("1239"),  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": frozenset("19"),  # 外交
    "3": frozenset("123459"),  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": frozenset("19"),  # 文化
    "5": frozenset("1239"),  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": frozenset("129"),  # 旅游
    "7": frozenset("129"),  # 宗教
    "8": frozenset("19"),  # 工会
    "9": frozenset("123"),  # 工商/市场监管: 企业, 个体工商户, 农民专业合作社
    "A": frozenset("19"),  # 中央军委改革和编制办公室
    "N": frozenset("1239"),  # 农业
    "Y": frozenset("1"),  # 其他
}

# First two digits of a valid 行政区划码 (provinces, HK/Macau/Taiwan) and "10" for central bodies (100000).
PROVINCE_PREFIXES = frozenset(
    {"10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
     "71", "81", "82"}
)


@dataclass(frozen=True)
class CreditCodeCheck:
    """The outcome of validating one code: ``code`` is the normalised text, ``problem`` empty when valid."""

    code: str
    problem: str
    message: str

    @property
    def is_valid(self) -> bool:
        return not self.problem


def _organisation_code_value(character: str) -> int:
    # GB 11714: digits are their value, letters A-Z are 10-35.
    if character.isdigit():
        return int(character)
    return ord(character) - ord("A") + 10


def organisation_code_check_character(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    total = sum(_organisation_code_value(character) * weight
                for character, weight in zip(body, ORGANISATION_CODE_WEIGHTS, strict=True))
    remainder = 11 - total % 11
    if remainder == 10:
        return "X"
    if remainder == 11:
        return "0"
    return str(remainder)


def credit_code_check_character(first_seventeen: str) -> str:
    """The GB 32100 check character (position 18) of the first 17 characters."""
    total = sum(CREDIT_CODE_CHARSET.index(character) * weight
                for character, weight in zip(first_seventeen, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def credit_code_normalise(raw: object) -> str:
    """Upper-case, without spaces (incl. full-width ones); spreadsheets often pad or lower-case codes."""
    text = "" if raw is None else str(raw)
    return "".join(text.split()).replace("\u3000", "").upper()


def credit_code_check(raw: object) -> CreditCodeCheck:
    """Validate a 统一社会信用代码; never raises. ``problem`` is a stable code for reports."""
    code = credit_code_normalise(raw)

    def fail(problem: str, message: str) -> CreditCodeCheck:
        return CreditCodeCheck(code=code, problem=problem, message=message)

    if not code:
        return fail("empty", _("统一社会信用代码为空。"))
    if len(code) != 18:
        return fail("length", _("统一社会信用代码应为18位，实际为%(length)d位。") % {"length": len(code)})
    bad_characters = sorted({character for character in code if character not in CREDIT_CODE_CHARSET})
    if bad_characters:
        return fail("charset", _("统一社会信用代码含有不允许的字符：%(chars)s（不使用I、O、Z、S、V）。")
                    % {"chars": "".join(bad_characters)})
    authority, organisation_type = code[0], code[1]
    allowed_types = ORGANISATION_TYPES_BY_AUTHORITY.get(authority)
    if allowed_types is None:
        return fail("authority", _("第1位登记管理部门码“%(char)s”无效。") % {"char": authority})
    if organisation_type not in allowed_types:
        return fail("organisation_type", _("第2位机构类别码“%(char)s”与登记管理部门码“%(authority)s”不匹配。")
                    % {"char": organisation_type, "authority": authority})
    division = code[2:8]
    if not division.isdigit() or division[:2] not in PROVINCE_PREFIXES:
        return fail("division", _("第3-8位行政区划码“%(division)s”无效。") % {"division": division})
    organisation_body, organisation_check = code[8:16], code[16]
    if organisation_code_check_character(organisation_body) != organisation_check:
        return fail("organisation_check", _("第9-17位组织机构代码的校验码错误。"))
    if credit_code_check_character(code[:17]) != code[17]:
        return fail("check_character", _("第18位校验码错误，请核对代码是否抄错。"))
    return CreditCodeCheck(code=code, problem="", message="")


def credit_code_is_valid(raw: object) -> bool:
    return credit_code_check(raw).is_valid


def credit_code_build(*, authority: str, organisation_type: str, division: str, organisation_body: str) -> str:
    """Assemble a valid code from its parts (the two check characters are computed)."""
    organisation_code = organisation_body + organisation_code_check_character(organisation_body)
    first_seventeen = authority + organisation_type + division + organisation_code
    return first_seventeen + credit_code_check_character(first_seventeen)
