"""Personal data in the forms people really write it, planted in Chinese text; and the leak oracle.

Used by the property tests and by ``bench/pii_leak.py``. Every planted value is returned with the
"core" that must never appear in an output for a viewer without the personal-data permission: the
digits of a phone, an ID number or a card (whatever separators the output uses), or a full name.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰玉萍红建华文辉力永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
FILLER = ("小区门口垃圾堆放没人清运", "楼下餐馆油烟很大", "路灯不亮已经一周", "井盖松动有安全隐患", "夜间施工噪声扰民",
          "菜场占道经营", "共享单车乱停放", "绿化带被毁", "雨后积水严重", "电动车楼道充电")
AREA_CODES = ("0519", "010", "021", "0512", "025", "0571")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class Planted:
    kind: str  # mobile | landline | id_number | bank_card | name
    written: str  # as it appears in the text
    core: str  # what must not survive: digits, or the full name


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def id_number(rng: random.Random) -> str:
    region = f"{rng.choice(['320402', '110101', '310104', '440305', '510107'])}"
    born = f"{rng.randrange(1940, 2006)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    body = f"{region}{born}{rng.randrange(1000):03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK[total % 11]


def bank_card(rng: random.Random) -> str:
    return f"6222{rng.randrange(10**12):012d}{rng.randrange(1000):03d}"[: rng.choice((16, 19))]


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _grouped(digits: str, sizes: tuple[int, ...], separator: str) -> str:
    parts, position = [], 0
    for size in sizes:
        parts.append(digits[position:position + size])
        position += size
    if position < len(digits):
        parts.append(digits[position:])
    return separator.join(part for part in parts if part)


def mobile_written(rng: random.Random, digits: str) -> str:
    form = rng.randrange(8)
    if form == 0:
        return digits
    if form == 1:
        return _grouped(digits, (3, 4, 4), " ")
    if form == 2:
        return _grouped(digits, (3, 4, 4), "-")
    if form == 3:
        return f"+86{digits}"
    if form == 4:
        return f"+86 {_grouped(digits, (3, 4, 4), ' ')}"
    if form == 5:
        return f"0086-{digits}"
    if form == 6:
        return f"(+86){digits}"
    return digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def landline_written(rng: random.Random) -> tuple[str, str]:
    area = rng.choice(AREA_CODES)
    local = f"{rng.randrange(2, 10)}{rng.randrange(10**7):07d}"[: 8 if len(area) == 4 or rng.random() < 0.5 else 7]
    form = rng.randrange(4)
    written = (f"{area}-{local}", f"({area}){local}", f"{area} {local[:4]} {local[4:]}", f"{area}{local}")[form]
    return written, area + local


def id_written(rng: random.Random, value: str) -> str:
    form = rng.randrange(3)
    if form == 1:
        return f"{value[:6]} {value[6:14]} {value[14:]}"
    if form == 2:
        return value[:-1] + value[-1].lower()
    return value


def name_written(rng: random.Random, person: str) -> tuple[str, str]:
    form = rng.randrange(6)
    if form == 0:
        return f"来电人{person}", person
    if form == 1:
        return f"反映人：{person}", person
    if form == 2:
        return f"联系人{person}", person
    if form == 3:
        return f"姓名：{person}，", person
    if form == 4:
        return f"我叫{person}，", person
    return f"市民{person[0]}先生", f"市民{person[0]}先生"


def planted_text(rng: random.Random, *, items: int = 3) -> tuple[str, list[Planted]]:
    """A Chinese report carrying ``items`` personal values in random written forms."""
    pieces = [rng.choice(FILLER)]
    planted: list[Planted] = []
    for _ in range(items):
        kind = rng.choice(("mobile", "mobile", "landline", "id_number", "bank_card", "name"))
        if kind == "mobile":
            digits = mobile(rng)
            written = mobile_written(rng, digits)
            planted.append(Planted(kind, written, digits))
            pieces.append(rng.choice(("联系电话", "手机", "电话：", "请回电", "号码")) + written)
        elif kind == "landline":
            written, digits = landline_written(rng)
            planted.append(Planted(kind, written, digits))
            pieces.append(rng.choice(("座机", "固话", "家里电话")) + written)
        elif kind == "id_number":
            value = id_number(rng)
            written = id_written(rng, value)
            planted.append(Planted(kind, written, value))
            pieces.append(rng.choice(("身份证号", "身份证：", "证件号码")) + written)
        elif kind == "bank_card":
            value = bank_card(rng)
            written = _grouped(value, (4, 4, 4, 4), rng.choice(("", " ", "-")))
            planted.append(Planted(kind, written, value))
            pieces.append(rng.choice(("银行卡号", "卡号")) + written)
        else:
            written, core = name_written(rng, name(rng))
            planted.append(Planted(kind, written, core))
            pieces.append(written + rng.choice(("反映", "称", "表示", "")))
        pieces.append(rng.choice(FILLER))
    return "，".join(pieces) + "。", planted


_SEPARATORS = re.compile(r"[\s\-+().（）]")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def leaks_in(output: str, planted: list[Planted]) -> list[Planted]:
    """The planted values that survive in ``output`` unmasked (separators and full-width digits ignored)."""
    flattened = _SEPARATORS.sub("", output.translate(_FULL_WIDTH)).upper()
    survived = []
    for item in planted:
        if item.kind == "name":
            if item.core in output:
                survived.append(item)
        elif item.core.upper() in flattened:
            survived.append(item)
    return survived
