"""The one masker of personal data: values (a name, a phone, an ID number) and free text.

Free text written by citizens, operators and handlers carries personal data in every form people
write it. :func:`personal_text_mask` recognises, in this order (so one number is masked once):

- 18-digit resident ID numbers with their check character (``X`` included) and a real birth date,
  and 15-digit ones of the first generation, written whole or grouped 6-8-4;
- bank-card-like numbers of 16–19 digits (starting 3–6), whole or in groups of four;
- mainland mobiles, whole or with spaces, dashes or dots anywhere, after ``+86``, ``0086``,
  ``86`` or ``(+86)``;
- landlines with an area code (``0519-88886666``, ``(0519)8888 6666``, ``010 1234 5678``);
- e-mail addresses;
- names introduced the usual ways: 来电人/反映人/投诉人/联系人/姓名… followed by a name, 我叫…,
  and 张先生/李女士/王小姐 (the surname is masked).

Full-width digits (``１３８…``) are recognised like ASCII ones. A masked value keeps just enough to
tell two apart on the phone (``138****5678``, ``320402********123X``, ``张*``).

This module is pure (no Django, no database): logs, pages, exports and the API all call it through
the one disclosure policy (:mod:`zhili.accounts.personal_data_policy`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Any

# -- values ------------------------------------------------------------------------------------

_NON_DIGITS = re.compile(r"\D")


def phone_digits(phone: str) -> str:
    """Digits only (ASCII: full-width ``１３８…`` and other scripts' digits are read as their values),
    without the +86/0086 country prefix of a mobile."""
    digits = "".join(str(unicodedata.decimal(character)) for character in phone or "" if character.isdecimal())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix):]
    return digits


def phone_mask(phone: str) -> str:
    """``13812341234`` → ``138****1234``; other numbers keep their first 3 and last 2 digits."""
    digits = phone_digits(phone)
    if not digits:
        return ""
    if len(digits) == 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 5:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 5)}{digits[-2:]}"


def name_mask(name: str) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def id_number_mask(id_number: str) -> str:
    """``320402199001011234`` → ``320402********1234`` (region and the last four kept)."""
    value = "".join((id_number or "").split())
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


# -- free text ---------------------------------------------------------------------------------

_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－（）　", "0123456789+-() ")
_SEPARATOR = r"[ \-.\u00a0]"

_BIRTH_DATE = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID_18 = re.compile(rf"(?<![\d*])[1-9]\d{{5}} ?({_BIRTH_DATE}) ?\d{{3}}[\dXx](?![\d*])")
_ID_15 = re.compile(r"(?<![\d*])[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![\d*])")
_BANK_CARD = re.compile(r"(?<![\d*])[3-6]\d{3}(?:[ \-]?\d{4}){3}(?:[ \-]?\d{1,3})?(?![\d*])")
_MOBILE = re.compile(
    rf"(?:(?:\+|00) ?86{_SEPARATOR}?|\(\+?86\) ?|(?<![\d*])86{_SEPARATOR}?|(?<![\d*]))"
    rf"1[3-9](?:{_SEPARATOR}?\d){{9}}(?![\d*])")
_LANDLINE = re.compile(
    r"(?:(?:\+|00) ?86[ \-]?\(?0?\d{2,3}\)?|(?<![\d*])\(0\d{2,3}\)|(?<![\d*])0\d{2,3})"
    r"[ \-]?\d(?:[ \-]?\d){6,7}(?:(?:-|转)\d{1,5})?(?![\d*])")
_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")

# Common surnames (the 200 most frequent single ones and the usual compound ones): a name after an
# introducer starts with one of them.
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "公孙", "尉迟", "长孙",
                      "宇文", "夏侯", "轩辕", "端木", "澹台", "司徒", "南宫", "西门", "百里", "呼延")
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练"
    "廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿"
    "鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由")
# Words that follow an introducer but are not a name ("来电人反映", "联系人电话").
_NOT_NAME_STARTS = ("反映", "反应", "称", "表示", "说", "来电", "投诉", "举报", "电话", "手机", "联系", "姓名",
                    "要求", "希望", "询问", "咨询", "诉求", "家", "住", "的", "在", "对", "因",
                    "本人", "先生", "女士", "小姐", "信息", "情况", "认为", "不", "未", "已", "现", "今", "多次",
                    "一", "称其", "所", "自", "无", "为", "是", "系", "及", "与", "等", "同")
# (于, 向, 和 are surnames too: after an introducer they are read as one, masking a word at worst)
_NAME_FOLLOWERS = ("反映", "反应", "来电", "投诉", "举报", "称", "表示", "说", "先生", "女士", "电话", "手机",
                   "联系", "家", "住", "的", "在", "于", "向", "对", "因", "要求", "希望", "询问", "咨询", "诉",
                   "现", "今", "已", "不", "多", "一", "之", "和", "与", "及", "等", "同", "系", "是", "为")
_INTRODUCERS = (r"(?:来电人|来电者|来电市民|反映人|投诉人|举报人|报案人|报警人|联系人|求助人|诉求人|"
                r"当事人|申请人|姓名|名字|户主|本人|我叫|我是)")
_INTRODUCED_NAME = re.compile(_INTRODUCERS + r"(?:[:：\s]|是|为|系|叫|姓名[:：]?)*([\u4e00-\u9fff]{2,4})")
_TITLES = ("先生", "女士", "小姐", "师傅", "阿姨", "大爷", "大妈", "老师")
_TITLED_SURNAME = re.compile(r"(?:" + "|".join(_COMPOUND_SURNAMES) + r"|[\u4e00-\u9fff])(?=" + "|".join(_TITLES) + ")")


def _valid_birth_date(digits: str) -> bool:
    try:
        born = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return born.year >= 1880


def _id_18(match: re.Match[str]) -> str | None:
    value = match.group(0).replace(" ", "")
    return id_number_mask(value) if _valid_birth_date(match.group(1)) else None


def _id_15(match: re.Match[str]) -> str | None:
    return id_number_mask(match.group(0))


def _bank_card(match: re.Match[str]) -> str | None:
    digits = _NON_DIGITS.sub("", match.group(0))
    if not 16 <= len(digits) <= 19:
        return None
    return f"{digits[:4]}{'*' * (len(digits) - 8)}{digits[-4:]}"


def _mobile(match: re.Match[str]) -> str | None:
    digits = _NON_DIGITS.sub("", match.group(0))[-11:]
    return f"{digits[:3]}****{digits[-4:]}"


def _landline(match: re.Match[str]) -> str | None:
    text = match.group(0)
    digits = _NON_DIGITS.sub("", text)
    if text.startswith(("+", "00")):  # +86 / 0086 before the area code (written with or without its 0)
        digits = digits[4:] if text.startswith("00") else digits[2:]
        digits = digits if digits.startswith("0") else "0" + digits
    area_length = 3 if digits[1] in "12" else 4
    local = digits[area_length:]
    if not 7 <= len(local) <= 13:
        return None
    return f"{digits[:area_length]}-{'*' * (len(local) - 2)}{local[-2:]}"


def _email(match: re.Match[str]) -> str | None:
    return f"{match.group(1)}***@{match.group(2)}"


def _name_length(candidate: str) -> int:
    """How many characters of ``candidate`` (2–4 Han characters after an introducer) are the name."""
    surname_length = 2 if candidate[:2] in _COMPOUND_SURNAMES else 1
    if surname_length == 1 and candidate[0] not in _SURNAMES:
        return 0
    if any(candidate.startswith(word) for word in _NOT_NAME_STARTS):
        return 0
    if any(candidate[surname_length:].startswith(title) for title in _TITLES):
        return 0  # 王先生: the surname alone, masked by the titled-surname rule
    length = min(len(candidate), surname_length + 2)
    for end in range(surname_length + 1, length + 1):
        if any(candidate[end:].startswith(word) for word in _NAME_FOLLOWERS) and end < len(candidate):
            return end
    return length


def _introduced_name(match: re.Match[str]) -> str | None:
    candidate = match.group(1)
    length = _name_length(candidate)
    if length < 2:
        return None
    start = match.start(1) - match.start(0)
    whole = match.group(0)
    return whole[:start] + name_mask(candidate[:length]) + candidate[length:]


def _titled_surname(match: re.Match[str]) -> str | None:
    surname = match.group(0)
    if len(surname) == 1 and surname not in _SURNAMES:
        return None
    return "*" * len(surname)


_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]], ...] = (
    (_ID_18, _id_18), (_ID_15, _id_15), (_BANK_CARD, _bank_card), (_MOBILE, _mobile), (_LANDLINE, _landline),
    (_EMAIL, _email), (_INTRODUCED_NAME, _introduced_name), (_TITLED_SURNAME, _titled_surname),
)


def _apply(pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str | None], original: str,
           normalised: str) -> tuple[str, str]:
    """Replace every match found in ``normalised`` in both texts (they are aligned character by character
    before the first replacement and stay aligned after it, since both get the same replacement)."""
    pieces_original: list[str] = []
    pieces_normalised: list[str] = []
    position = 0
    for match in pattern.finditer(normalised):
        replacement = replace(match)
        if replacement is None:
            continue
        pieces_original.append(original[position:match.start()])
        pieces_normalised.append(normalised[position:match.start()])
        pieces_original.append(replacement)
        pieces_normalised.append(replacement)
        position = match.end()
    if not pieces_original:
        return original, normalised
    pieces_original.append(original[position:])
    pieces_normalised.append(normalised[position:])
    return "".join(pieces_original), "".join(pieces_normalised)


def personal_text_mask(text: str) -> str:
    """``text`` with every phone, ID number, bank card, e-mail and introduced name masked."""
    if not text:
        return text or ""
    original = str(text)
    normalised = original.translate(_FULL_WIDTH)
    for pattern, replace in _RULES:
        original, normalised = _apply(pattern, replace, original, normalised)
    return original


def personal_data_mask(value: Any) -> Any:
    """A JSON-like value (dicts, lists, strings, numbers) with every string masked by :func:`personal_text_mask`."""
    if isinstance(value, str):
        return personal_text_mask(value)
    if isinstance(value, dict):
        return {key: personal_data_mask(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [personal_data_mask(item) for item in value]
    return value
