"""Hot issues (热点问题): clusters of reports of one problem at one place over a period.

Pure computation (no database). Method, documented in docs/textintel.md:

1. Each message is title + content; its place mentions are extracted (:mod:`places`) and its
   text becomes a TF-IDF vector of character bigrams (title counted twice: it states the problem).
   A platform case also brings the matter it was classified to (``topic``) and the place it was
   recorded at (``place``: the compound or road of its address, else its grid).
2. **Blocks.** Messages are compared only inside their block: the same recorded topic and place
   (a platform case), or the same district or county named in the text (an uploaded file; texts
   naming none share one block). A block is ordered by time and cut into runs of at most
   ``BLOCK_ROWS`` messages spanning at most ``RUN_DAYS``, so the work grows linearly with the
   number of messages (a longer period adds runs, not longer ones) and the memory of one
   comparison is bounded (``BLOCK_ROWS``² similarities), whatever the input.
3. **Similarity** of two messages of a block: the cosine of their vectors, plus ``PLACE_BONUS``
   when they name a common specific place (compound or road), plus ``TOPIC_BONUS`` when both carry
   the same recorded topic; two messages more than ``WINDOW_DAYS`` apart are never alike.
4. **Average linkage.** Clusters are merged while the average similarity of all their pairs is at
   least ``LINK_SIMILARITY``, so a chain of pairwise look-alikes (texts from one template about
   unrelated problems) cannot pull unrelated reports into one issue, as single linkage did.
   A cluster with ≥ ``MINIMUM_REPORTS`` reports is a hot issue.
5. Heat index (all terms reproducible from the members, and shown on the page as the reasons):

       heat = (reports + 2·(reporters − 1) + 3·ln(1 + likes)) × (1 + 0.25·growth) × recency
       growth  = (r_recent − r_previous) / max(1, r_previous), clipped to [−1, 3], where
                 r_recent / r_previous are the reports in the last / preceding 30 days of the cluster
       recency = 0.5 + 0.5·exp(−days from the last report to the reference time / 90)

   The reference time is the newest message of the whole input (for a historical file) or now.

At most ``max_rows`` messages are computed in one run (``ZHILI_HOT_ISSUE_MAX_ROWS``); more are
refused with a message saying how to split the input, before any work is done.
"""

from __future__ import annotations

import csv
import dataclasses
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
from zhili.textintel.places import PlaceMentions, place_mentions

WINDOW_DAYS = 180
PLACE_BONUS = 0.25
TOPIC_BONUS = 0.25
LINK_SIMILARITY = 0.35
BLOCK_ROWS = 2000
RUN_DAYS = 2 * WINDOW_DAYS
# runs up to this size are compared in one batch and clustered without SciPy (the same result, up to
# the order in which equal similarities are merged)
SMALL_RUN = 32
MAX_ROWS = 100_000
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
    topic: str = ""  # the matter a platform case was classified to ("" for an uploaded message)
    place: str = ""  # where a platform case was recorded (its address's compound or road, else its grid)


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
    recent_reports: int  # reports in the last GROWTH_WINDOW_DAYS of the cluster
    previous_reports: int  # reports in the GROWTH_WINDOW_DAYS before those
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


def rows_over_cap_error(*, rows: int | str, limit: int) -> ApplicationError:
    """The refusal of an input larger than one hot-issue run may compute (413: nothing is stored)."""
    return ApplicationError(
        "hot_issue_too_many_rows",
        _("留言有 %(rows)s 条，超过一次热点计算 %(limit)d 条的上限：请按时间段或地区拆分后分别计算。")
        % {"rows": rows, "limit": limit}, status_code=413)


def messages_from_csv_bytes(data: bytes, *, max_rows: int = MAX_ROWS) -> list[HotIssueMessage]:
    """Messages of a file laid out like messages_with_votes.csv (msg_id, user_id, title, created_at,
    content, likes; dislikes optional). Rows with an unreadable time are refused with their numbers;
    a file of more than ``max_rows`` rows is refused as soon as the row past the cap is read."""
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
        if row_number - 1 > max_rows:
            raise rows_over_cap_error(rows=_("超过 %(limit)d") % {"limit": max_rows}, limit=max_rows)
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


@dataclass(frozen=True)
class _Placed:
    block: tuple[str, str]  # (topic, place) of the block the message is compared in ("" place: none named)
    places: tuple[str, ...]  # place keys for the common-place bonus


def _mentions(message: HotIssueMessage) -> PlaceMentions:
    return place_mentions(f"{message.title} {message.text}")


def _placed(message: HotIssueMessage, mentions: PlaceMentions | None = None,
            recorded_keys: dict[str, str] | None = None) -> _Placed:
    mentions = mentions or _mentions(message)
    places = [_place_key(name) for name in mentions.specific]
    if message.place:
        known = {} if recorded_keys is None else recorded_keys
        key = known.get(message.place)
        if key is None:
            # the compound or road of the address, else the place as recorded (a grid's name, "红梅新村")
            names = [*place_mentions(message.place).specific, message.place.strip()]
            key = known[message.place] = _place_key(names[0])
        return _Placed(block=(message.topic, key), places=tuple(dict.fromkeys([key, *places])))
    district = next((unit for unit in mentions.administrative
                     if unit.endswith(("区", "县")) and not unit.endswith("社区")), "")
    return _Placed(block=(message.topic, district), places=tuple(dict.fromkeys(places)))


def _placed_all(messages: Sequence[HotIssueMessage],
                mentions: Sequence[PlaceMentions] | None = None) -> list[_Placed]:
    """Each message's block and places. A text that names a compound or road but no district joins the
    district the other texts name with that place, when they all name the same one ("丽发新城小区"
    alone → A2区); a place named with several districts leaves it in the block of texts naming none."""
    mentions = mentions if mentions is not None else [_mentions(message) for message in messages]
    recorded_keys: dict[str, str] = {}
    placed = [_placed(message, mentioned, recorded_keys) for message, mentioned in zip(messages, mentions, strict=True)]
    districts_of_place: dict[str, Counter[str]] = {}
    for message, item in zip(messages, placed, strict=True):
        if not message.place and item.block[1]:
            for place in item.places:
                districts_of_place.setdefault(place, Counter())[item.block[1]] += 1
    resolved: list[_Placed] = []
    for message, item in zip(messages, placed, strict=True):
        if message.place or item.block[1] or not item.places:
            resolved.append(item)
            continue
        known = next((districts_of_place[place] for place in item.places if place in districts_of_place), None)
        district = next(iter(known)) if known is not None and len(known) == 1 else ""
        resolved.append(_Placed(block=(item.block[0], district), places=item.places))
    return resolved


def message_blocks(messages: Sequence[HotIssueMessage], *, placed: Sequence[_Placed] | None = None,
                   ) -> list[list[int]]:
    """The runs of message indexes compared with each other: each block in time order, cut into runs
    of at most ``BLOCK_ROWS`` (the bound on one comparison's memory) spanning at most ``RUN_DAYS``;
    every index in exactly one run."""
    placed = placed if placed is not None else _placed_all(messages)
    blocks: dict[tuple[str, str], list[int]] = {}
    for index, item in enumerate(placed):
        blocks.setdefault(item.block, []).append(index)
    runs: list[list[int]] = []
    span = dt.timedelta(days=RUN_DAYS)
    for key in sorted(blocks):
        ordered = sorted(blocks[key], key=lambda index: (messages[index].created_at, index))
        run: list[int] = []
        for index in ordered:
            if run and (len(run) >= BLOCK_ROWS or messages[index].created_at - messages[run[0]].created_at > span):
                runs.append(run)
                run = []
            run.append(index)
        runs.append(run)
    return runs


def _vectors(messages: Sequence[HotIssueMessage]) -> Any:
    # deferred: scikit-learn/SciPy take about a second to import; only this computation needs them
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True, dtype=np.float32)
    try:
        return vectorizer.fit_transform([_matching_text(message) for message in messages]).tocsr()
    except ValueError:  # every text empty
        return sparse.csr_matrix((len(messages), 1), dtype=np.float32)


def run_similarity(messages: Sequence[HotIssueMessage], run: Sequence[int], *, vectors: Any | None = None,
                   placed: Sequence[_Placed] | None = None) -> Any:
    """Dense similarity (numpy, ``len(run)``²) of the messages of one run, by the rule in the module docstring."""
    # deferred: SciPy is imported only when hot issues are computed
    from scipy import sparse

    vectors = vectors if vectors is not None else _vectors(messages)
    placed = placed if placed is not None else _placed_all(messages)
    indexes = list(run)
    block_vectors = vectors[indexes]
    similarity = np.asarray((block_vectors @ block_vectors.T).todense(), dtype=np.float64)
    place_ids: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    for row, index in enumerate(indexes):
        for place in placed[index].places:
            rows.append(row)
            columns.append(place_ids.setdefault(place, len(place_ids)))
    if place_ids:
        incidence = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)),
                                      shape=(len(indexes), len(place_ids)))
        similarity += PLACE_BONUS * (np.asarray((incidence @ incidence.T).todense()) > 0)
    topics = np.array([messages[index].topic for index in indexes], dtype=object)
    similarity += TOPIC_BONUS * ((topics[:, None] == topics[None, :]) & (topics[:, None] != ""))
    times = np.array([messages[index].created_at.timestamp() for index in indexes])
    similarity[np.abs(times[:, None] - times[None, :]) > WINDOW_DAYS * 86_400] = -1.0
    np.fill_diagonal(similarity, 1.0 + PLACE_BONUS + TOPIC_BONUS)
    return similarity


def small_run_similarities(messages: Sequence[HotIssueMessage], runs: Sequence[Sequence[int]], *, vectors: Any,
                           placed: Sequence[_Placed]) -> list[Any]:
    """:func:`run_similarity` of many small runs at once (one sparse product for all their pairs): a
    platform's cases fall into thousands of blocks of a few reports, and per-run matrix set-up dominated."""
    left: list[int] = []
    right: list[int] = []
    for run in runs:
        for first in range(len(run)):
            left.extend(run[first] for _second in range(first + 1, len(run)))
            right.extend(run[first + 1:])
    cosines = (np.asarray(vectors[left].multiply(vectors[right]).sum(axis=1), dtype=np.float64).ravel()
               if left else np.zeros(0))
    matrices: list[Any] = []
    pair = 0
    for run in runs:
        size = len(run)
        similarity = np.empty((size, size))
        for first in range(size):
            one = messages[run[first]]
            first_places = set(placed[run[first]].places)
            for second in range(first + 1, size):
                other = messages[run[second]]
                value = cosines[pair]
                pair += 1
                if first_places.intersection(placed[run[second]].places):
                    value += PLACE_BONUS
                if one.topic and one.topic == other.topic:
                    value += TOPIC_BONUS
                if abs((one.created_at - other.created_at).total_seconds()) > WINDOW_DAYS * 86_400:
                    value = -1.0
                similarity[first, second] = similarity[second, first] = value
        np.fill_diagonal(similarity, 1.0 + PLACE_BONUS + TOPIC_BONUS)
        matrices.append(similarity)
    return matrices


def _average_linkage_small(similarity: Any) -> list[list[int]]:
    """Average linkage (UPGMA) of a small run by repeated merging, with the similarities SciPy's tree
    uses (capped to [−1, 1], as distances are clipped to [0, 2]) and the same cut."""
    capped = np.clip(np.asarray(similarity, dtype=np.float64), -1.0, 1.0)
    clusters: list[list[int]] = [[position] for position in range(len(capped))]
    between = capped.copy()
    np.fill_diagonal(between, -np.inf)
    while len(clusters) > 1:
        first, second = divmod(int(np.argmax(between)), len(clusters))
        if between[first, second] < LINK_SIMILARITY - 1e-12:
            break
        first, second = min(first, second), max(first, second)
        sizes = len(clusters[first]), len(clusters[second])
        merged = (between[first] * sizes[0] + between[second] * sizes[1]) / (sizes[0] + sizes[1])
        between[first], between[:, first] = merged, merged
        between[first, first] = -np.inf
        between = np.delete(np.delete(between, second, axis=0), second, axis=1)
        clusters[first] = clusters[first] + clusters.pop(second)
    return clusters


def _run_clusters(similarity: Any) -> list[list[int]]:
    """Average-linkage clusters (positions in the run) whose mean pair similarity is ≥ LINK_SIMILARITY."""
    if len(similarity) <= SMALL_RUN:
        return _average_linkage_small(similarity)
    # deferred: SciPy is imported only when hot issues are computed
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    size = len(similarity)
    if size == 1:
        return [[0]]
    distance = np.clip(1.0 - similarity, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    labels = fcluster(tree, t=1.0 - LINK_SIMILARITY, criterion="distance")
    groups: dict[int, list[int]] = {}
    for position, label in enumerate(labels.tolist()):
        groups.setdefault(label, []).append(position)
    return list(groups.values())


def heat_index(*, report_count: int, reporter_count: int, like_count: int, growth: float, days_since_last: float) -> float:
    base = report_count + 2 * max(0, reporter_count - 1) + 3 * math.log1p(max(0, like_count))
    recency = 0.5 + 0.5 * math.exp(-max(0.0, days_since_last) / RECENCY_DECAY_DAYS)
    return round(base * (1 + 0.25 * growth) * recency, 3)


def _growth(times: Sequence[dt.datetime]) -> tuple[float, int, int]:
    """(growth, reports in the last 30 days of the cluster, reports in the 30 days before those)."""
    last = max(times)
    recent = sum(1 for time in times if (last - time).days < GROWTH_WINDOW_DAYS)
    previous = sum(1 for time in times if GROWTH_WINDOW_DAYS <= (last - time).days < 2 * GROWTH_WINDOW_DAYS)
    return max(-1.0, min(3.0, (recent - previous) / max(1, previous))), recent, previous


def _cluster_place(members: Sequence[HotIssueMessage], mentions: Sequence[PlaceMentions] | None = None) -> str:
    """The district most members name plus the specific place (compound/road) most members name.

    Ties go to the name met first (members in order, each text's names in order of appearance): the
    mentions are counted from ordered tuples, never from sets, whose order changes from process to
    process, so the same messages always give the same place.
    """
    districts: Counter[str] = Counter()
    specific: Counter[str] = Counter()
    finer: Counter[str] = Counter()
    for position, member in enumerate(members):
        mentioned = mentions[position] if mentions is not None else _mentions(member)  # tuples without repeats
        districts.update([unit for unit in mentioned.administrative if unit.endswith(("区", "县"))])
        finer.update([unit for unit in mentioned.administrative if unit.endswith(("街道", "镇", "乡", "社区", "村"))])
        specific.update(mentioned.specific)
    parts = [name for counter in (districts, specific or finer) for name, _count in counter.most_common(1)]
    return "".join(parts)


def _issue_of(messages: Sequence[HotIssueMessage], indexes: Sequence[int], *, closeness: Any,
              reference: dt.datetime) -> ComputedHotIssue:
    """One hot issue of the members ``indexes`` (its place is left empty: only the issues kept are given
    theirs); its representative is the member closest to the others (highest summed similarity), ties to
    the most liked."""
    representative = messages[indexes[int(np.lexsort((
        -np.array([messages[index].likes for index in indexes]), -np.asarray(closeness)))[0])]]
    ordered = sorted(indexes, key=lambda index: (messages[index].created_at, messages[index].message_id))
    members = [messages[index] for index in ordered]
    times = [member.created_at for member in members]
    growth, recent, previous = _growth(times)
    reporters = {member.reporter or member.message_id for member in members}
    likes = sum(member.likes for member in members)
    return ComputedHotIssue(
        heat_index=heat_index(report_count=len(members), reporter_count=len(reporters), like_count=likes,
                              growth=growth, days_since_last=(reference - max(times)).total_seconds() / 86_400),
        place="",
        first_reported_at=min(times),
        last_reported_at=max(times),
        representative_title=representative.title,
        representative_text=representative.text,
        report_count=len(members),
        reporter_count=len(reporters),
        like_count=likes,
        growth=round(growth, 3),
        recent_reports=recent,
        previous_reports=previous,
        members=tuple(HotIssueMember(message_id=member.message_id, title=member.title,
                                     created_at=member.created_at, likes=member.likes, reporter=member.reporter)
                      for member in members),
    )


def hot_issues_compute(
    messages: Sequence[HotIssueMessage], *, reference_time: dt.datetime | None = None, max_rows: int = MAX_ROWS,
) -> HotIssueResult:
    """Cluster ``messages`` and rank the clusters of ≥ 2 reports by heat index (hottest first).

    Refuses (``hot_issue_too_many_rows``) more than ``max_rows`` messages before any work. Work and
    memory are bounded per run of a block (module docstring), so they grow linearly with the input.
    """
    parameters = {"window_days": WINDOW_DAYS, "link_similarity": LINK_SIMILARITY, "place_bonus": PLACE_BONUS,
                  "topic_bonus": TOPIC_BONUS, "block_rows": BLOCK_ROWS, "run_days": RUN_DAYS,
                  "minimum_reports": MINIMUM_REPORTS,
                  "linkage": "average"}
    if len(messages) > max_rows:
        raise rows_over_cap_error(rows=len(messages), limit=max_rows)
    if not messages:
        return HotIssueResult(issues=[], cluster_of={}, parameters=parameters)
    vectors = _vectors(messages)
    mentions = [_mentions(message) for message in messages]
    placed = _placed_all(messages, mentions)
    reference = reference_time or max(message.created_at for message in messages)
    cluster_of: dict[str, int] = {}
    issues: list[ComputedHotIssue] = []
    members_of: list[list[int]] = []  # the message indexes of each issue
    cluster_number = 0
    runs = message_blocks(messages, placed=placed)
    small = [run for run in runs if 1 < len(run) <= SMALL_RUN]
    small_similarity = dict(zip(map(id, small), small_run_similarities(messages, small, vectors=vectors,
                                                                         placed=placed), strict=True))
    for run in runs:
        if len(run) == 1:  # alone in its block: its own cluster, nothing to compare
            cluster_of[messages[run[0]].message_id] = cluster_number
            cluster_number += 1
            continue
        similarity = small_similarity.get(id(run))
        if similarity is None:
            similarity = run_similarity(messages, run, vectors=vectors, placed=placed)
        for positions in _run_clusters(similarity):
            for position in positions:
                cluster_of[messages[run[position]].message_id] = cluster_number
            cluster_number += 1
            if len(positions) < MINIMUM_REPORTS:
                continue
            issues.append(_issue_of(messages, [run[position] for position in positions],
                                    closeness=similarity[np.ix_(positions, positions)].sum(axis=1),
                                    reference=reference))
            members_of.append([run[position] for position in positions])
    order = sorted(range(len(issues)), key=lambda number: (-issues[number].heat_index,
                                                            issues[number].first_reported_at))[:MAX_ISSUES]
    kept = []
    for number in order:
        ordered = sorted(members_of[number], key=lambda index: (messages[index].created_at,
                                                                messages[index].message_id))
        kept.append(dataclasses.replace(issues[number], place=_cluster_place(
            [messages[index] for index in ordered], [mentions[index] for index in ordered])))
    return HotIssueResult(issues=kept, cluster_of=cluster_of, parameters=parameters)
