"""Quantified targets and reported achievements in Chinese plan and work-report text.

General rules, not rules for one document:

* a *quantity* is a number (or a range ``2—3``, ``30-50``) followed by an optional multiplier
  (万 = 10⁴, 亿 = 10⁸, 千 = 10³) and a counting or measuring unit (%, 个百分点, 家, 所, 个, 人,
  公里, 亩, 平方米, 元, 美元, 吨, 倍, 件, 条, 项 …); numbers without a unit, years, ordinals
  (2号线, 第5届), codes (5G, S232, PM2.5) and ratios (1:25.2:73.8) are not quantities;
* the *comparator* comes from the words around it: 达到/达/为 → "=", 不少于/不低于/以上/至少 → "≥",
  突破/超过/超/高于 → ">", 约/左右/近/余/多 → "≈", 以内/不超过/控制在/以下 → "≤", 低于/少于 → "<"
  (a suffix such as 以上 or 左右 wins over the verb before the number);
* the *kind* is "target" when the sentence looks forward (到2025年, 力争, 争取, 确保, 目标, 将,
  "十四五"期间 …) or lies in a forward-looking section, "actual" when it reports (累计, 已, 较…
  提升, 完成了, a past year …) or lies in a review section (…取得的成就, 回顾, "十三五"…);
* the *subject* is the words of the clause before the number, with leading time phrases and
  trailing comparator verbs removed; a rate of change keeps its verb ("地区生产总值增长" 7%), and a
  bare "增长4.1%" after "地区生产总值468亿元" takes the subject of the quantity before it; the
  *period* is the year the sentence names (到2025年 → "2025"), or the plan period it names
  ("十四五" → "2021-2025");
* a paragraph's opening — "2023年，…" or "主要预期目标是：…" — carries its year and its
  forward-looking words to the items listed after it, up to the paragraph's end (a work report
  lists ten indicators after one "主要预期目标是：", separated by semicolons);
* indicator tables laid out one cell per line (as text exported from Word gives them, and as
  :func:`extract_targets_from_file` lays out .docx tables) — 序号, 指标名称, 单位, 属性
  (预期性/约束性), target value — give one target per row, period from the table's header year.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from zhili.core.errors import ApplicationError
from zhili.core.text_files import text_bytes_decode

Value = float | list[float]

_MULTIPLIERS = {"万": 1e4, "亿": 1e8, "千": 1e3, "百": 1e2}
# Longest first so "个百分点" wins over "个", "万平方米" is split as 万 + 平方米 etc.
_UNITS = sorted(
    [
        "%", "‰", "个百分点", "百分点", "个工作日", "工作日", "家", "所", "个", "人次", "人", "名", "位",
        "公里", "千米", "米", "亩", "公顷", "平方公里", "平方米", "立方米", "元/人", "元", "美元", "欧元",
        "吨", "千瓦时", "千瓦", "兆瓦", "件", "条", "项", "张", "次", "份", "座", "批次", "批", "场", "户",
        "倍", "辆", "台", "套", "处", "块", "间", "株", "棵", "只", "头", "篇", "本", "册", "所学校",
        "小时", "天", "微克/立方米", "毫克/立方米", "千克/万元", "吨/万元", "吨标准煤", "标准煤",
        "床", "张床位", "万人", "千人", "亿元", "万元", "GB", "MW", "km", "kW",
    ],
    key=len, reverse=True,
)
_UNIT_PATTERN = "|".join(re.escape(unit) for unit in _UNITS if unit not in {"万人", "千人", "亿元", "万元"})
_NUMBER = r"\d+(?:\.\d+)?"
_QUANTITY = re.compile(
    rf"(?P<low>{_NUMBER})(?:\s*(?P<range_sep>[-—–~～至到])\s*(?P<high>{_NUMBER}))?"
    rf"(?P<approx_inner>多|余)?(?P<multiplier>[万亿千])?(?P<approx_after_multiplier>多|余)?"
    rf"(?P<unit>{_UNIT_PATTERN})"
    # a density or intensity: 507公里/万平方公里, 3.5张/千人
    r"(?:/(?P<per>[万百千]?(?:平方公里|平方千米|平方米|公里|人口|人|户|元|吨|辆)))?"
)
# Things that look like quantities but are names, codes or ordinals.
_BEFORE_NOT_QUANTITY = re.compile(r"(?:[A-Za-z.#\-/]|第|东经|北纬|PM|pm)$")
_AFTER_NOT_QUANTITY = re.compile(r"^(?:号|届|级|类|期|代|星|版|强|岁|分钟|寸|\+|[A-Za-z#/])")
_SUFFIX_COMPARATORS = (
    ("以上", ">="), ("及以上", ">="), ("以内", "<="), ("以下", "<="), ("左右", "≈"), ("上下", "≈"),
    ("多", "≈"), ("余", "≈"),
)
_PREFIX_COMPARATORS = (
    ("不少于", ">="), ("不低于", ">="), ("至少", ">="), ("不超过", "<="), ("不高于", "<="), ("控制在", "<="),
    ("低于", "<"), ("少于", "<"), ("小于", "<"), ("突破", ">"), ("超过", ">"), ("高于", ">"), ("大于", ">"),
    ("超", ">"), ("约", "≈"), ("近", "≈"), ("接近", "≈"), ("达到", "="), ("达", "="), ("为", "="),
)
_TARGET_MARKERS = re.compile(
    r"到20\d\d年|至20\d\d年|20\d\d年(?:前|底前)|力争|争取|争创|确保|目标|预期|计划|展望|"
    r"“十[四五六]五”(?:期间|时期|末)|十[四五六]五期间"
)
_ACTUAL_MARKERS = re.compile(
    r"累计|已经|已|完成了|实现了|实现|获评|获批|创成|荣获|较“?十[二三]五”?期末|较上年|比上年|同比|"
    r"“十[二三]五”|十[二三]五|20(?:0\d|1\d|20)年(?!前)|去年|上年"
)
_REVIEW_SECTION = re.compile(r"取得的成就|成就|回顾|过去五年|完成情况|工作回顾|主要成绩|发展成就")
_FORWARD_SECTION = re.compile(
    r"主要目标|预期目标|目标任务|发展目标|重点任务|工作安排|第[二三四五六七八九十]+章|专栏|今年|明年"
)
_YEAR_TARGET = re.compile(r"(?:到|至|在)?(20\d\d)年(?:底|末)?")
_PLAN_PERIOD = re.compile(r"“?十([二三四五六])五”?")
_PLAN_PERIODS = {"二": "2011-2015", "三": "2016-2020", "四": "2021-2025", "五": "2026-2030", "六": "2031-2035"}
_CLAUSE_BREAK = re.compile(r"[，,；;。！？!?\n：:]")
_LEADING_NOISE = re.compile(
    r"^(?:(?:到|至|在|截至)?20\d\d年(?:底|末|前)?|“?十[二三四五六]五”?(?:期间|时期|期末|末)?|期间|其中|"
    r"预计|将|力争|争取|确保|努力|全面|基本|累计|共|全区|全市|全县|全年|今年|当年|每年|年均|同比|比上年|较上年|(?:较|比)“?十[二三四五]五”?期末|(?:较|比)20\d\d年(?:末|底)?|同时|并|和|与|及|、|，|\s)+"
)
# "实现地区生产总值468亿元", "完成工业投资134.8亿元": the verb is not part of what is counted.
_LEADING_VERB = re.compile(r"^(?:实现|完成)(?=[\u4e00-\u9fff]{2})")
# A rate of change: the verb stays in the subject ("地区生产总值增长" 7%), "同比"/"比上年" do not.
_CHANGE_VERB = re.compile(r"(?:同比|比上年|较上年|年均)?(?P<verb>增长|下降|提高|提升|降低|减少|增加|回落)$")
_RATE_UNITS = frozenset({"%", "‰", "个百分点", "百分点"})
_TRAILING_VERBS = re.compile(
    r"(?:达到|达|为|突破|超过|超|不少于|不低于|至少|不超过|不高于|控制在|低于|少于|小于|高于|大于|约|近|接近|"
    r"实现|完成|增长|提高|提升|下降|降低|减少|增加|累计|共计|共|总计|合计|分别|预计|是|有|在|的)+$"
)
_TABLE_ATTRIBUTES = ("预期性", "约束性")
_SUBJECT_FOLLOWS_ENDINGS = ("等", "有", "围绕", "利用", "完成", "建成", "新增", "治理", "集聚", "创建", "减少")
# "学前教育资源配置率达到1", "优质均衡比例达到0.93": a rate or ratio needs no unit.
_UNITLESS_RATE = re.compile(
    rf"(?P<subject>[\u4e00-\u9fff]{{2,20}}(?:率|比例|比重|指数|系数))(?P<verb>达到|达|为|提高到|提升到|不低于|不少于)"
    rf"(?P<low>{_NUMBER})(?![\d.%‰]|个|倍|万|亿)"
)


# "平均受教育年限达到11.5年", "人均预期寿命达到79岁": years and ages are quantities only after such names.
_DURATION = re.compile(
    rf"(?P<subject>[\u4e00-\u9fff]{{2,20}}(?:寿命|年限|年龄))(?P<verb>达到|达|为|提高到|提升到|不低于|超过|保持在)?"
    rf"(?P<low>{_NUMBER})(?P<unit>岁|年)(?![\d.])"
)


@dataclass(frozen=True)
class ExtractedTarget:
    """One quantified statement: a planned target or a reported achievement."""

    quote: str
    subject: str
    value: Value
    unit: str
    period: str | None
    kind: str  # "target" | "actual"
    op: str  # "=", ">=", ">", "≈", "<=", "<"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _scaled(number: str, multiplier: float) -> float:
    # in decimal, so 134.8亿 is 13480000000 and not 13480000000.000002
    scaled = float(Decimal(number) * Decimal(repr(multiplier)))
    return float(int(scaled)) if scaled.is_integer() else scaled


def _split_unit(raw_unit: str, multiplier_character: str | None) -> tuple[str, float]:
    multiplier = _MULTIPLIERS.get(multiplier_character or "", 1.0)
    return raw_unit, multiplier


def _comparator(before: str, after: str, inner_approximation: bool) -> str:
    for word, op in _SUFFIX_COMPARATORS:
        if after.startswith(word):
            return op
    if inner_approximation:
        return "≈"
    tail = before[-6:]
    best: tuple[int, str] | None = None
    for word, op in _PREFIX_COMPARATORS:
        position = tail.rfind(word)
        if position >= 0 and (best is None or position + len(word) > best[0]):
            best = (position + len(word), op)
    return best[1] if best else "="


def _period(sentence: str) -> str | None:
    years = [int(year) for year in _YEAR_TARGET.findall(sentence)]
    future = [year for year in years if year >= 2021]
    if future:
        return str(max(future))
    plan = _PLAN_PERIOD.search(sentence)
    if plan:
        return _PLAN_PERIODS[plan.group(1)]
    if years:
        return str(max(years))
    return None


def _kind(sentence_before_number: str, sentence_through_clause: str, section_kind: str) -> str:
    if re.search(r"(?:到|至)20\d\d年|20\d\d年(?:前|底前)|力争|争取|确保", sentence_before_number):
        return "target"
    target_hits = len(_TARGET_MARKERS.findall(sentence_through_clause))
    actual_hits = len(_ACTUAL_MARKERS.findall(sentence_through_clause))
    if actual_hits and not target_hits:
        return "actual"
    if target_hits and not actual_hits:
        return "target"
    return section_kind


def _subject(clause_before_number: str) -> str:
    subject = _TRAILING_VERBS.sub("", clause_before_number.strip())
    subject = _LEADING_NOISE.sub("", subject)
    subject = _LEADING_VERB.sub("", subject)
    subject = _TRAILING_VERBS.sub("", subject)
    return subject.strip("“”\"（）() 、")[-40:]


def _change_verb(clause_before_number: str) -> str:
    """"增长" when the clause ends in a change verb right before the number ("…同比增长"), else ""."""
    found = _CHANGE_VERB.search(clause_before_number.strip())
    return found.group("verb") if found else ""


def _is_quantity(text: str, match: re.Match[str]) -> bool:
    before = text[max(0, match.start() - 3):match.start()]
    after = text[match.end():match.end() + 3]
    if _BEFORE_NOT_QUANTITY.search(before):
        return False
    if _AFTER_NOT_QUANTITY.match(after):
        return False
    # 1.4:29.7:68.9-style ratios and dates such as 2020.12.
    return not (re.match(r"^[:：]\d", after) or re.search(r"\d[:：]$", before))


def _sentence_targets(sentence: str, section_kind: str, context: str = "") -> list[ExtractedTarget]:
    """The quantities of one sentence; ``context`` is the paragraph's opening when the sentence follows it."""
    targets: list[ExtractedTarget] = []
    previous_subject = ""
    previous_verb = ""
    period = _period(sentence) or (_period(context) if context else None)
    for match in _QUANTITY.finditer(sentence):
        if not _is_quantity(sentence, match):
            continue
        multiplier_character = match.group("multiplier")
        unit, multiplier = _split_unit(match.group("unit"), multiplier_character)
        if match.group("per"):
            unit = f"{unit}/{match.group('per')}"
        if unit in {"%", "‰", "个百分点", "百分点", "倍"} and multiplier_character:
            continue
        low = _scaled(match.group("low"), multiplier)
        value: Value = low
        if match.group("high") is not None:
            high = _scaled(match.group("high"), multiplier)
            if high <= low:
                continue  # "2019-2020"-style spans, not ranges of a quantity
            value = [low, high]
        before = sentence[:match.start()]
        after = sentence[match.end():]
        suffix = next((word for word, _op in _SUFFIX_COMPARATORS if after.startswith(word)), "")
        clause_start = max((found.end() for found in _CLAUSE_BREAK.finditer(before)), default=0)
        clause_before = before[clause_start:]
        # Quote: the clause holding the number, through its suffix comparator.
        quote = (clause_before + sentence[match.start():match.end()] + suffix).strip()
        if len(quote) < 8:
            previous_start = max((found.end() for found in _CLAUSE_BREAK.finditer(before[:clause_start - 1])),
                                 default=0) if clause_start else 0
            quote = (before[previous_start:] + sentence[match.start():match.end()] + suffix).strip()
        inner_approximation = bool(match.group("approx_inner") or match.group("approx_after_multiplier"))
        op = _comparator(clause_before, after, inner_approximation)
        next_break = _CLAUSE_BREAK.search(after)
        clause_end = next_break.start() if next_break else len(after)
        # "700亿元、800亿元台阶": a quantity listed after another shares its subject.
        listed = _QUANTITY.search(clause_before) is not None
        own_clause = _QUANTITY.split(clause_before)[-1] if listed else clause_before
        subject = _subject(own_clause)
        verb = _change_verb(own_clause) if unit in _RATE_UNITS else ""
        if listed and previous_subject and re.fullmatch(r"[、和及与或至到\s]*", subject):
            subject, verb = previous_subject, previous_verb  # "分别下降1.5%、10.6%和6.4%"
        elif verb and not subject and previous_subject:
            # "地区生产总值468亿元，增长4.1%": the growth of the quantity just named
            subject = previous_subject
        elif not subject or subject.endswith(_SUBJECT_FOLLOWS_ENDINGS):
            # "累计完成23条黑臭河道", "全区15家企业…": the counted thing follows the number.
            following = re.split(r"[、，,；;。(（\d]", after[len(suffix):])[0][:16]
            subject = (subject + following).strip() if following else subject
        previous_subject, previous_verb = subject, verb
        if verb and subject and not subject.endswith(verb):
            subject = f"{subject}{verb}"
        targets.append(ExtractedTarget(
            quote=quote,
            subject=subject,
            value=value,
            unit=unit,
            period=period,
            kind=_kind(context + before, context + sentence[:match.end() + clause_end], section_kind),
            op=op,
        ))
    # named numbers: durations and ages (with their unit), rates and ratios (without one)
    for pattern in (_DURATION, _UNITLESS_RATE):
        for match in pattern.finditer(sentence):
            unit = match.groupdict().get("unit") or ""
            before = sentence[:match.start("low")]
            after = sentence[match.end():]
            clause_start = max((found.end() for found in _CLAUSE_BREAK.finditer(before)), default=0)
            next_break = _CLAUSE_BREAK.search(after)
            clause_end = next_break.start() if next_break else len(after)
            targets.append(ExtractedTarget(
                quote=(before[clause_start:] + match.group("low") + unit).strip(),
                subject=_subject(match.group("subject")).lstrip("年"),
                value=float(match.group("low")),
                unit=unit,
                period=period,
                kind=_kind(context + before, context + sentence[:match.end() + clause_end], section_kind),
                op=_comparator(before[clause_start:], after, inner_approximation=False),
            ))
    return targets


def _table_unit_and_scale(unit: str) -> tuple[str, float]:
    """"亿元" → ("元", 1e8), "万元/人" → ("元/人", 1e4); a 万 in a denominator ("个/万人") stays."""
    if len(unit) >= 2 and unit[0] in "万亿千" and not unit.startswith("千克") and not unit.startswith("千米"):
        return unit[1:], _MULTIPLIERS[unit[0]]
    return unit, 1.0


def _table_targets(lines: list[str], attribute_index: int, default_period: str | None,
                   ) -> tuple[ExtractedTarget | None, int]:
    """The indicator-table row whose 属性 cell is ``lines[attribute_index]`` (one cell per line)."""
    value_index = attribute_index + 1
    while value_index < len(lines) and not lines[value_index]:
        value_index += 1
    unit_index = attribute_index - 1
    while unit_index >= 0 and not lines[unit_index]:
        unit_index -= 1
    if value_index >= len(lines) or unit_index < 0:
        return None, attribute_index + 1
    name_parts: list[str] = []
    cursor = unit_index - 1
    while cursor >= 0 and not re.fullmatch(r"\d{1,3}", lines[cursor]) and len(name_parts) < 4:
        if lines[cursor]:
            name_parts.insert(0, lines[cursor])
        cursor -= 1
    value_text = lines[value_index]
    number = re.fullmatch(rf"(?P<low>{_NUMBER})(?:\s*[-—–~～]\s*(?P<high>{_NUMBER}))?", value_text)
    if not name_parts or number is None:
        return None, value_index + 1
    header = "\n".join(lines[max(0, cursor - 80):cursor])
    header_years = re.findall(r"(20\d\d)年", header)
    raw_unit = lines[unit_index]
    raw_unit = "" if raw_unit in {"-", "—", "/"} else raw_unit
    unit, scale = _table_unit_and_scale(raw_unit)
    value: Value = _scaled(number.group("low"), scale)
    if number.group("high") is not None:
        value = [_scaled(number.group("low"), scale), _scaled(number.group("high"), scale)]
    name = "".join(name_parts)
    return ExtractedTarget(
        quote=f"{name}（{raw_unit or '-'}）{lines[attribute_index]} {value_text}",
        subject=name,
        value=value,
        unit=unit,
        period=header_years[-1] if header_years else default_period,
        kind="target",
        op="=",
    ), value_index + 1


def extract_targets(text: str) -> list[ExtractedTarget]:
    """Every quantified target and achievement in ``text``, in document order. Never raises."""
    normalised = unicodedata.normalize("NFKC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    normalised = normalised.replace("．", ".")
    lines = [line.strip() for line in normalised.split("\n")]
    results: list[ExtractedTarget] = []
    section_kind = "target"
    table_period: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if line in _TABLE_ATTRIBUTES:
            row, index = _table_targets(lines, index, table_period)
            if row is not None:
                results.append(row)
                table_period = row.period
            continue
        index += 1
        if not line:
            continue
        if len(line) <= 40 and _REVIEW_SECTION.search(line):
            section_kind = "actual"
        elif len(line) <= 40 and _FORWARD_SECTION.search(line):
            section_kind = "target"
        if not re.search(r"\d", line) or _is_table_cell(line, lines, index - 1):
            continue
        context: str | None = None  # from the paragraph's first sentence only
        for sentence in re.split(r"(?<=[。；;！？!?])", line):
            if sentence.strip():
                results.extend(_sentence_targets(sentence, section_kind, context or ""))
                if context is None:
                    context = _paragraph_opening(sentence)
    return results


# "2023年，", "“十四五”期间，", "到2025年，": a time phrase that opens a paragraph.
_OPENING_TIME = re.compile(r"^(?:(?:到|至|在)?20\d\d年(?:底|末)?|“?十[二三四五六]五”?(?:期间|时期)?|今年|明年)[，,]")


# A colon after words (text is NFKC-folded, so "：" is ":"), not one inside a ratio such as 1:25.2.
_LIST_COLON = re.compile(r"(?<=[\u4e00-\u9fff”])[:：]")


def _paragraph_opening(sentence: str) -> str:
    """What the rest of a paragraph inherits from its first sentence (for kind and period), or "".

    A list introduced by a colon ("主要预期目标是：") hands on everything up to the colon; a paragraph
    that opens with a time phrase ("2023年，") hands on that phrase.
    """
    colon = next((found.start() for found in _LIST_COLON.finditer(sentence)), -1)
    if 0 < colon <= 60:
        return sentence[:colon + 1]
    opening = _OPENING_TIME.match(sentence.strip())
    return opening.group(0) if opening else ""


def _is_table_cell(line: str, lines: list[str], index: int) -> bool:
    """Cells of a one-cell-per-line table (handled by the row parser), e.g. "17" or "万元/人"."""
    if re.fullmatch(rf"{_NUMBER}(?:\s*[-—–~～]\s*{_NUMBER})?", line):
        return True
    window = lines[index + 1:index + 4]
    return len(line) <= 30 and any(cell in _TABLE_ATTRIBUTES for cell in window)


def _docx_text(path: Path) -> str:
    import docx  # python-docx

    document = docx.Document(str(path))
    parts: list[str] = []
    body = document.element.body
    paragraphs = {id(paragraph._p): paragraph for paragraph in document.paragraphs}
    tables = {id(table._tbl): table for table in document.tables}
    for child in body.iterchildren():
        if id(child) in paragraphs:
            parts.append(paragraphs[id(child)].text)
        elif id(child) in tables:
            for row in tables[id(child)].rows:
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    parts.append(cell.text.strip())
                parts.append("")
    return "\n".join(parts)


def extract_targets_from_file(path: str | Path) -> list[ExtractedTarget]:
    """Targets of a .txt (UTF-8, UTF-16 or GB18030) or .docx file."""
    file_path = Path(path)
    if not file_path.exists():
        raise ApplicationError("targets_file_missing", _("文件 %(path)s 不存在。") % {"path": file_path})
    suffix = file_path.suffix.lower()
    if suffix == ".docx":
        try:
            return extract_targets(_docx_text(file_path))
        except (KeyError, ValueError, OSError) as error:
            raise ApplicationError(
                "targets_docx_unreadable",
                _("无法读取 Word 文件 %(path)s：%(error)s。请确认是 .docx 格式（不是 .doc）。")
                % {"path": file_path.name, "error": error},
            ) from error
    if suffix in {".txt", ".text", ".md", ""}:
        return extract_targets(_decoded_text(file_path.read_bytes()))
    raise ApplicationError(
        "targets_file_type",
        _("不支持的文件类型 %(suffix)s：请上传 .txt 或 .docx 文件。") % {"suffix": suffix or "?"},
    )


def _decoded_text(data: bytes) -> str:
    decoded = text_bytes_decode(data)
    return decoded[0] if decoded is not None else data.decode("utf-8", errors="replace")
