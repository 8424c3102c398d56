"""Hot issues (热点问题): clusters of reports of one problem at one place over a period.

Pure computation (no database). Method, documented in docs/textintel.md:

1. Each message is title + content; its place mentions are extracted (:mod:`places`) and its
   text becomes a TF-IDF vector of character bigrams (title counted twice: it states the problem).
2. Two messages are linked when they are within ``WINDOW_DAYS`` of each other and either their
   cosine similarity is ≥ ``STRONG_SIMILARITY`` or it is ≥ ``PLACE_SIMILARITY`` and they name a
   common specific place (compound or road).
3. Clusters are the connected components of that graph; a component with ≥ 2 reports is a
   candidate hot issue.
4. Heat index (all terms reproducible from the members):

       heat = (reports + 2·(reporters − 1) + 3·ln(1 + likes)) × (1 + 0.25·growth) × recency
       growth  = (r_recent − r_previous) / max(1, r_previous), clipped to [−1, 3], where
                 r_recent / r_previous are the reports in the last / preceding 30 days of the cluster
       recency = 0.5 + 0.5·exp(−days from the last report to the reference time / 90)

   The reference time is the newest message of the whole input (for a historical file) or now.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from zhili.core.clock import CHINA_TIME_ZONE
from zhili.core.errors import ApplicationError
from zhili.textintel.labelled_files import decode_csv_bytes
from zhili.textintel.normalization import content_characters
from zhili.textintel.places import place_mentions

WINDOW_DAYS = 180
STRONG_SIMILARITY = 0.55
PLACE_SIMILARITY = 0.30
MINIMUM_REPORTS = 2
GROWTH_WINDOW_DAYS = 30
RECENCY_DECAY_DAYS = 90
MAX_ISSUES = 200
_DATE_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")


@dataclass(frozen=True)
class HotIssueMessage:
    message_id: str
    reporter: str
    title: str
    text: str
    created_at: dt.datetime
    likes: int


@dataclass(frozen=True)
class HotIssueMember:
    message_id: str
    title: str
    created_at: dt.datetime
    likes: int
    reporter: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.message_id, "title": self.title, "created_at": self.created_at.isoformat(),
                "likes": self.likes, "reporter": self.reporter}


@dataclass(frozen=True)
class ComputedHotIssue:
    heat_index: float
    place: str
    first_reported_at: dt.datetime
    last_reported_at: dt.datetime
    representative_title: str
    representative_text: str
    report_count: int
    reporter_count: int
    like_count: int
    growth: float
    members: tuple[HotIssueMember, ...]


@dataclass(frozen=True)
class HotIssueResult:
    issues: list[ComputedHotIssue]
    cluster_of: dict[str, int]  # message id → cluster number (every message, singletons included)
    parameters: dict[str, Any]


def parse_message_time(value: str) -> dt.datetime | None:
    """Times as such exports write them ("2019/2/28 11:25:05", "2017-06-08 17:31:20"), China time."""
    text = (value or "").strip()
    for date_format in _DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, date_format)
        except ValueError:
            continue
        return parsed.replace(tzinfo=CHINA_TIME_ZONE)
    return None


def messages_from_csv_bytes(data: bytes) -> list[HotIssueMessage]:
    """Messages of a file laid out like messages_with_votes.csv (msg_id, user_id, title, created_at,
    content, likes; dislikes optional). Rows with an unreadable time are refused with their numbers."""
    text = decode_csv_bytes(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    required = ["msg_id", "user_id", "title", "created_at", "content"]
    missing = [column for column in required if column not in header]
    if missing:
        raise ApplicationError(
            "hot_issue_file_columns",
            _("留言文件缺少列：%(missing)s（需要 msg_id、user_id、title、created_at、content，可选 likes）。"
              "文件中的列为：%(present)s。") % {"missing": "、".join(missing), "present": "、".join(header) or _("（无）")},
        )
    messages: list[HotIssueMessage] = []
    bad_rows: list[int] = []
    for row_number, row in enumerate(reader, start=2):
        created_at = parse_message_time(row.get("created_at") or "")
        if created_at is None:
            bad_rows.append(row_number)
            continue
        likes_text = (row.get("likes") or "0").strip()
        messages.append(HotIssueMessage(
            message_id=(row.get("msg_id") or "").strip() or str(row_number),
            reporter=(row.get("user_id") or "").strip(),
            title=(row.get("title") or "").strip(),
            text=(row.get("content") or "").strip(),
            created_at=created_at,
            likes=int(likes_text) if likes_text.isdigit() else 0,
        ))
    if bad_rows:
        raise ApplicationError(
            "hot_issue_file_times",
            _("第 %(rows)s 行的 created_at 无法识别：请使用“2019/2/28 11:25:05”或“2019-02-28 11:25:05”格式。")
            % {"rows": "、".join(str(number) for number in bad_rows[:10])},
        )
    if not messages:
        raise ApplicationError("hot_issue_file_empty", _("留言文件中没有数据行。"))
    return messages


def _matching_text(message: HotIssueMessage) -> str:
    return content_characters(f"{message.title}{message.title}{message.text[:400]}")


def _place_key(name: str) -> str:
    """One key for one place however it is written: "丽发新城小区" and "丽发新城" are the same compound."""
    return name[:-2] if name.endswith("小区") and len(name) >= 4 else name


def message_similarity_graph(messages: Sequence[HotIssueMessage]) -> Any:
    """Sparse symmetric adjacency (scipy CSR) of the link rule in the module docstring."""
    # deferred: scikit-learn/SciPy take about a second to import; only this computation needs them
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    count = len(messages)
    if count == 0:
        return sparse.csr_matrix((0, 0))
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True, dtype=np.float32)
    try:
        vectors = vectorizer.fit_transform([_matching_text(message) for message in messages])
    except ValueError:  # every text empty
        return sparse.csr_matrix((count, count))
    similarity = (vectors @ vectors.T).tocoo()
    times = np.array([message.created_at.timestamp() for message in messages])
    rows, columns, values = similarity.row, similarity.col, similarity.data
    candidate = (rows < columns) & (values >= PLACE_SIMILARITY) & (np.abs(times[rows] - times[columns]) <= WINDOW_DAYS * 86_400)
    rows, columns, values = rows[candidate], columns[candidate], values[candidate]
    places: dict[int, frozenset[str]] = {}

    def places_of(index: int) -> frozenset[str]:
        if index not in places:
            message = messages[index]
            places[index] = frozenset(_place_key(name) for name in
                                      place_mentions(f"{message.title} {message.text}").specific)
        return places[index]

    keep_rows: list[int] = []
    keep_columns: list[int] = []
    for row, column, value in zip(rows.tolist(), columns.tolist(), values.tolist(), strict=True):
        if value >= STRONG_SIMILARITY or places_of(row) & places_of(column):
            keep_rows.append(row)
            keep_columns.append(column)
    data = np.ones(len(keep_rows), dtype=np.int8)
    graph = sparse.coo_matrix((data, (keep_rows, keep_columns)), shape=(count, count))
    return (graph + graph.T).tocsr()


def heat_index(*, report_count: int, reporter_count: int, like_count: int, growth: float, days_since_last: float) -> float:
    base = report_count + 2 * max(0, reporter_count - 1) + 3 * math.log1p(max(0, like_count))
    recency = 0.5 + 0.5 * math.exp(-max(0.0, days_since_last) / RECENCY_DECAY_DAYS)
    return round(base * (1 + 0.25 * growth) * recency, 3)


def _growth(times: Sequence[dt.datetime]) -> float:
    last = max(times)
    recent = sum(1 for time in times if (last - time).days < GROWTH_WINDOW_DAYS)
    previous = sum(1 for time in times if GROWTH_WINDOW_DAYS <= (last - time).days < 2 * GROWTH_WINDOW_DAYS)
    return max(-1.0, min(3.0, (recent - previous) / max(1, previous)))


def _cluster_place(members: Sequence[HotIssueMessage]) -> str:
    """The district most members name plus the specific place (compound/road) most members name.

    Ties go to the name met first (members in order, each text's names in order of appearance): the
    mentions are counted from ordered tuples, never from sets, whose order changes from process to
    process, so the same messages always give the same place.
    """
    districts: Counter[str] = Counter()
    specific: Counter[str] = Counter()
    finer: Counter[str] = Counter()
    for member in members:
        mentions = place_mentions(f"{member.title} {member.text}")  # each tuple is without repeats
        districts.update([unit for unit in mentions.administrative if unit.endswith(("区", "县"))])
        finer.update([unit for unit in mentions.administrative if unit.endswith(("街道", "镇", "乡", "社区", "村"))])
        specific.update(mentions.specific)
    parts = [name for counter in (districts, specific or finer) for name, _count in counter.most_common(1)]
    return "".join(parts)


def hot_issues_compute(
    messages: Sequence[HotIssueMessage], *, reference_time: dt.datetime | None = None,
) -> HotIssueResult:
    """Cluster ``messages`` and rank the clusters of ≥ 2 reports by heat index (hottest first)."""
    # deferred: SciPy is imported only when hot issues are computed
    from scipy.sparse.csgraph import connected_components

    parameters = {"window_days": WINDOW_DAYS, "strong_similarity": STRONG_SIMILARITY,
                  "place_similarity": PLACE_SIMILARITY, "minimum_reports": MINIMUM_REPORTS}
    if not messages:
        return HotIssueResult(issues=[], cluster_of={}, parameters=parameters)
    graph = message_similarity_graph(messages)
    _count, labels = connected_components(graph, directed=False)
    reference = reference_time or max(message.created_at for message in messages)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    issues: list[ComputedHotIssue] = []
    for indexes in groups.values():
        if len(indexes) < MINIMUM_REPORTS:
            continue
        members = sorted((messages[index] for index in indexes), key=lambda message: message.created_at)
        degree = np.asarray(graph[indexes][:, indexes].sum(axis=1)).ravel()
        representative = messages[indexes[int(np.lexsort((
            -np.array([messages[index].likes for index in indexes]), -degree))[0])]]
        times = [member.created_at for member in members]
        growth = _growth(times)
        reporters = {member.reporter or member.message_id for member in members}
        likes = sum(member.likes for member in members)
        issues.append(ComputedHotIssue(
            heat_index=heat_index(report_count=len(members), reporter_count=len(reporters), like_count=likes,
                                  growth=growth, days_since_last=(reference - max(times)).total_seconds() / 86_400),
            place=_cluster_place(members),
            first_reported_at=min(times),
            last_reported_at=max(times),
            representative_title=representative.title,
            representative_text=representative.text,
            report_count=len(members),
            reporter_count=len(reporters),
            like_count=likes,
            growth=round(growth, 3),
            members=tuple(HotIssueMember(message_id=member.message_id, title=member.title,
                                         created_at=member.created_at, likes=member.likes, reporter=member.reporter)
                          for member in members),
        ))
    issues.sort(key=lambda issue: (-issue.heat_index, issue.first_reported_at))
    cluster_of = {message.message_id: int(labels[index]) for index, message in enumerate(messages)}
    return HotIssueResult(issues=issues[:MAX_ISSUES], cluster_of=cluster_of, parameters=parameters)
