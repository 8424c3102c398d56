"""The category classifier: features, model, training and evaluation (pure: no database).

Texts are folded to one shape before features are taken, so a history that was exported
already segmented with stop words removed ("A1 区 蔡锷 南路 …") and a raw intake text
("A1区蔡锷南路的…") look alike (:func:`classifier_text`): NFKC, lower case, masks, punctuation and
whitespace removed, the publisher's stop words dropped as words (``stopwords.py``: a word list
recovered from the data, cut by greedy longest match, no jieba at run time), digit runs as "0".
Features are character 1–3-grams of that text (TF-IDF, sublinear tf, min_df 2) next to word
1–2-grams (same weighting, scaled by 0.7), the words cut by forward maximum matching over jieba's
bundled dictionary (:func:`classifier_words`: no jieba segmentation, no download), and character
1–3-grams of the text's first 25 characters alone (the *lead*, scaled by 0.5): a message starts
with its title, so what it is about is said there, and the lead lets the model weigh it apart from
the body without needing to know where the title ends (a history export does not mark it). The model is a
one-vs-rest linear SVM whose decision values are turned into probabilities by a multinomial
logistic regression fitted on out-of-fold decision values (Platt-style calibration, so the
confidence intake shows is a real probability). Everything runs on CPU with no download.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from django.utils.translation import gettext as _
from scipy import sparse

from zhili.core.errors import ApplicationError
from zhili.textintel.normalization import folded_text
from zhili.textintel.stopwords import stopwords_removed

if TYPE_CHECKING:  # scikit-learn is imported where it is used: it costs seconds at start-up
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

_DIGIT_RUN = re.compile(r"\d+")
# 1: character + jieba word n-grams. 2: character n-grams of regex-cleaned text (hand list of
# function words cut as substrings), no jieba. 3: the publisher's recovered stop words dropped as
# words (stopwords.py) before character n-grams. 4: version 3 plus word 1–2-grams of a forward
# maximum match over jieba's dictionary. 5: version 4 plus character n-grams of the text's lead (its first
# characters, mostly the title) as a block of their own.
FEATURE_VERSION = 5
# Artifacts of these versions still load (a deployment's active model keeps working after an
# upgrade); a version-4 model simply has no lead block.
READABLE_FEATURE_VERSIONS = frozenset({4, 5})


def classifier_text(text: str, *, drop_stop_words: bool = True) -> str:
    """The text as the classifier sees it: content characters, no stop words, digit runs as "0"."""
    folded = folded_text(text)
    return _DIGIT_RUN.sub("0", stopwords_removed(folded) if drop_stop_words else folded)


_PREFIX_SHARE = 0.3
_LONGEST_PREFIX = 16


def common_prefixes(cleaned: Sequence[str]) -> tuple[str, ...]:
    """Openings shared by at least 30 % of the texts ("市民来电反映"), longest first: a template, not content.

    A hotline that transcribes calls starts every text the same way; the lead block should look
    past that opening at what the caller is about.
    """
    if not cleaned:
        return ()
    found: list[str] = []
    for length in range(_LONGEST_PREFIX, 1, -1):
        counts = Counter(text[:length] for text in cleaned if len(text) > length)
        for prefix, count in counts.most_common(3):
            if count >= _PREFIX_SHARE * len(cleaned) and not any(longer.startswith(prefix) for longer in found):
                found.append(prefix)
    return tuple(found)


def _without_prefix(text: str, prefixes: Sequence[str]) -> str:
    for prefix in prefixes:
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


_IDEOGRAPHS_ONLY = re.compile(r"[\u3400-\u9fff]+")
_LONGEST_WORD = 8


@functools.cache
def _dictionary() -> tuple[frozenset[str], dict[str, tuple[int, ...]]]:
    """jieba's bundled dictionary (words of 2–8 ideographs) and, per first two characters, word lengths longest first.

    Read from the installed package's ``dict.txt``; jieba itself is not imported (its segmenter
    costs ≈ 2 ms a message, the whole prediction budget).
    """
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise ApplicationError("classifier_dictionary_missing", _("缺少 jieba 词典，无法提取词特征。"))
    words: set[str] = set()
    with (Path(next(iter(spec.submodule_search_locations))) / "dict.txt").open(encoding="utf-8") as handle:
        for line in handle:
            word = line.split(" ", 1)[0]
            if 2 <= len(word) <= _LONGEST_WORD and _IDEOGRAPHS_ONLY.fullmatch(word):
                words.add(word)
    # keyed by two characters (every word has at least two): far fewer lengths to try per position
    lengths: dict[str, set[int]] = {}
    for word in words:
        lengths.setdefault(word[:2], set()).add(len(word))
    return frozenset(words), {prefix: tuple(sorted(sizes, reverse=True)) for prefix, sizes in lengths.items()}


def classifier_words(text: str) -> list[str]:
    """The words of a :func:`classifier_text`: forward maximum matching over jieba's dictionary.

    At each position the longest dictionary word that starts there is taken, otherwise one
    character. Train text (already segmented by the publisher) and raw text are cut the same way,
    from the same folded text, so both sides give the same words.
    """
    words, lengths = _dictionary()
    tokens: list[str] = []
    position, end = 0, len(text)
    while position < end:
        step = 1
        for size in lengths.get(text[position:position + 2], ()):
            if position + size <= end and text[position:position + size] in words:
                step = size
                break
        tokens.append(text[position:position + step])
        position += step
    return tokens


def _word_ngrams(tokens: Sequence[str], ngram_range: tuple[int, int]) -> list[str]:
    low, high = ngram_range
    grams: list[str] = []
    for size in range(low, high + 1):
        grams.extend(" ".join(tokens[index:index + size]) for index in range(len(tokens) - size + 1))
    return grams


@dataclass
class WordNgramVectorizer:
    """Sublinear TF-IDF of word n-grams of token lists (smooth idf, unit rows), times ``weight``.

    The same matrix as scikit-learn's ``TfidfVectorizer(analyzer=…, sublinear_tf=True, min_df=…)``
    on the same n-grams (a test checks this), with a plain dict vocabulary: no per-call validation.
    """

    ngram_range: tuple[int, int] = (1, 2)
    min_document_frequency: int = 2
    max_features: int | None = None
    weight: float = 1.0
    vocabulary: dict[str, int] = field(default_factory=dict)
    inverse_document_frequency: np.ndarray[Any, Any] = field(default_factory=lambda: np.empty(0, dtype=np.float64))

    def fit_transform(self, token_lists: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        per_text = [Counter(_word_ngrams(tokens, self.ngram_range)) for tokens in token_lists]
        document_frequency: Counter[str] = Counter()
        for counts in per_text:
            document_frequency.update(counts.keys())
        kept = [gram for gram, frequency in document_frequency.items() if frequency >= self.min_document_frequency]
        if self.max_features is not None and len(kept) > self.max_features:
            total: Counter[str] = Counter()
            for counts in per_text:
                total.update(counts)
            kept = sorted(kept, key=lambda gram: (-total[gram], gram))[:self.max_features]
        kept.sort()
        self.vocabulary = {gram: index for index, gram in enumerate(kept)}
        frequency = np.array([document_frequency[gram] for gram in kept], dtype=np.float64)
        self.inverse_document_frequency = np.log((1 + len(token_lists)) / (1 + frequency)) + 1
        return self._weighted(per_text)

    def transform(self, token_lists: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        return self._weighted([Counter(_word_ngrams(tokens, self.ngram_range)) for tokens in token_lists])

    def row_entries(self, tokens: Sequence[str]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Columns and values of one text's row: the same numbers as its row of :meth:`transform`."""
        vocabulary = self.vocabulary
        columns: list[int] = []
        counts: list[int] = []
        for gram, count in Counter(_word_ngrams(tokens, self.ngram_range)).items():
            column = vocabulary.get(gram)
            if column is not None:
                columns.append(column)
                counts.append(count)
        column_array = np.array(columns, dtype=np.int64)
        value = (np.log(np.array(counts, dtype=np.float64)) + 1) * self.inverse_document_frequency[column_array]
        norm = float(np.sqrt(value @ value)) or 1.0
        return column_array, self.weight * value / norm

    def _weighted(self, per_text: list[Counter[str]]) -> sparse.csr_matrix:
        vocabulary = self.vocabulary
        columns: list[int] = []
        counts: list[int] = []
        row_pointer = [0]
        for text_counts in per_text:
            for gram, count in text_counts.items():
                column = vocabulary.get(gram)
                if column is not None:
                    columns.append(column)
                    counts.append(count)
            row_pointer.append(len(columns))
        column_array = np.array(columns, dtype=np.int64)
        value = (np.log(np.array(counts, dtype=np.float64)) + 1) * self.inverse_document_frequency[column_array]
        row_lengths = np.diff(row_pointer)
        rows = np.repeat(np.arange(len(per_text)), row_lengths)
        norms = np.sqrt(np.bincount(rows, weights=value * value, minlength=len(per_text)))
        norms[norms == 0] = 1
        value = self.weight * value / norms[rows]
        return sparse.csr_matrix((value.astype(np.float32), column_array, np.array(row_pointer, dtype=np.int64)),
                                 shape=(len(per_text), len(vocabulary)))


@dataclass(frozen=True)
class _WordNgrams:
    """Feature-version-1 word analyzer; kept only so old artifacts unpickle far enough to be refused."""

    ngram_range: tuple[int, int]


# One more than the number of Unicode code points: code point + 1 is a digit in this base, so a
# character n-gram is one integer and a shorter n-gram never equals a longer one. 3 digits fit in
# a signed 64-bit integer, 4 do not.
_CODE_POINT_BASE = 0x110001
_LONGEST_NGRAM = 3


def _ngram_keys(text: str, ngram_range: tuple[int, int]) -> np.ndarray[Any, Any]:
    """Every character n-gram of ``text`` (n in ``ngram_range``) as an int64 key, with repeats."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
    low, high = ngram_range
    keys: list[np.ndarray[Any, Any]] = []
    for size in range(low, min(high, len(codes)) + 1):
        count = len(codes) - size + 1
        key = codes[:count].copy()
        for offset in range(1, size):
            key *= _CODE_POINT_BASE
            key += codes[offset:offset + count]
        keys.append(key)
    return np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)


@dataclass
class CharacterNgramVectorizer:
    """Sublinear TF-IDF of character n-grams (n ≤ 3), computed with numpy instead of a Python loop.

    The same matrix as scikit-learn's ``TfidfVectorizer(analyzer="char", sublinear_tf=True,
    min_df=…)`` (smooth idf, rows of unit length), but each n-gram is an integer key
    (:func:`_ngram_keys`) looked up by binary search in a sorted vocabulary: three times faster to
    fit and six times faster to transform, which was most of the classifier's training and
    prediction time.
    """

    ngram_range: tuple[int, int] = (1, 3)
    min_document_frequency: int = 2
    max_features: int | None = None
    vocabulary: np.ndarray[Any, Any] = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    inverse_document_frequency: np.ndarray[Any, Any] = field(default_factory=lambda: np.empty(0, dtype=np.float64))
    # Only the first this many characters of each text (the lead block); None: the whole text.
    leading_characters: int | None = None
    weight: float = 1.0

    def __post_init__(self) -> None:
        low, high = self.ngram_range
        if not 1 <= low <= high <= _LONGEST_NGRAM:
            raise ValueError(f"character n-gram range must lie within 1–{_LONGEST_NGRAM}, got {self.ngram_range}")

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        texts = self._lead(texts)
        per_text = self._distinct_keys(texts)
        all_keys = np.concatenate([keys for keys, _counts in per_text])
        all_counts = np.concatenate([counts for _keys, counts in per_text])
        distinct, inverse, document_frequency = np.unique(all_keys, return_inverse=True, return_counts=True)
        kept = document_frequency >= self.min_document_frequency
        if self.max_features is not None and int(kept.sum()) > self.max_features:
            total = np.bincount(inverse, weights=all_counts, minlength=len(distinct))  # corpus frequency
            total[~kept] = -1
            kept = np.zeros(len(distinct), dtype=bool)
            kept[np.argsort(-total, kind="stable")[:self.max_features]] = True
        self.vocabulary = distinct[kept]
        self.inverse_document_frequency = np.log((1 + len(texts)) / (1 + document_frequency[kept])) + 1
        return self._weighted(per_text)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self._weighted(self._distinct_keys(self._lead(texts)))

    def _lead(self, texts: Sequence[str]) -> Sequence[str]:
        if self.leading_characters is None:
            return texts
        return [text[:self.leading_characters] for text in texts]

    def row_entries(self, text: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Columns and values of one text's row: the same numbers as its row of :meth:`transform`."""
        if self.leading_characters is not None:
            text = text[:self.leading_characters]
        keys, counts = np.unique(_ngram_keys(text, self.ngram_range), return_counts=True)
        size = len(self.vocabulary)
        position = np.searchsorted(self.vocabulary, keys)
        found = position < size
        found[found] = self.vocabulary[position[found]] == keys[found]
        column = position[found]
        value = (np.log(counts[found]) + 1) * self.inverse_document_frequency[column]
        norm = float(np.sqrt(value @ value)) or 1.0
        return column, self.weight * value / norm

    def _distinct_keys(self, texts: Sequence[str]) -> list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
        empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
        per_text = [np.unique(_ngram_keys(text, self.ngram_range), return_counts=True) for text in texts]
        return per_text or [empty]  # never concatenate nothing

    def _weighted(self, per_text: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]) -> sparse.csr_matrix:
        """Rows of (1 + ln tf) · idf over the vocabulary, scaled to unit length."""
        size = len(self.vocabulary)
        columns: list[np.ndarray[Any, Any]] = []
        values: list[np.ndarray[Any, Any]] = []
        row_lengths = np.zeros(len(per_text), dtype=np.int64)
        for row, (keys, counts) in enumerate(per_text):
            position = np.searchsorted(self.vocabulary, keys)
            found = position < size
            found[found] = self.vocabulary[position[found]] == keys[found]
            columns.append(position[found])
            values.append(counts[found])
            row_lengths[row] = len(columns[-1])
        column = np.concatenate(columns)
        value = (np.log(np.concatenate(values)) + 1) * self.inverse_document_frequency[column]
        rows = np.repeat(np.arange(len(per_text)), row_lengths)
        norms = np.sqrt(np.bincount(rows, weights=value * value, minlength=len(per_text)))
        norms[norms == 0] = 1
        row_pointer = np.concatenate([[0], np.cumsum(row_lengths)])
        return sparse.csr_matrix(((self.weight * value / norms[rows]).astype(np.float32), column, row_pointer),
                                 shape=(len(per_text), size))


@dataclass
class ClassifierSettings:
    """Hyper-parameters, chosen by 5-fold cross-validation on train_segmented.csv (docs/textintel.md)."""

    character_ngram_range: tuple[int, int] = (1, 3)
    regularisation: float = 1.0
    class_weight: str | None = "balanced"
    min_document_frequency: int = 2
    max_character_features: int | None = None
    calibration_folds: int = 2
    # Word n-grams (feature version 4): dictionary maximum match, see classifier_words.
    use_words: bool = True
    word_ngram_range: tuple[int, int] = (1, 2)
    word_weight: float = 0.7
    max_word_features: int | None = None
    # The lead block (feature version 5): character n-grams of the first characters (0 = no block).
    lead_characters: int = 25
    lead_weight: float = 0.5
    max_lead_features: int | None = None
    # the lead starts after an opening most training texts share ("市民来电反映：…"), see common_prefixes
    lead_skips_common_prefix: bool = True
    # the publisher's stop words dropped as words (stopwords.py); False keeps every character
    drop_stop_words: bool = True


@dataclass
class CategoryClassifier:
    """A trained classifier. ``predict`` gives, per text, (label, probability) best first."""

    name: str
    labels: list[str]
    character_vectorizer: CharacterNgramVectorizer
    word_vectorizer: WordNgramVectorizer | None
    model: LinearSVC
    calibrator: LogisticRegression
    settings: ClassifierSettings = field(default_factory=ClassifierSettings)
    feature_version: int = FEATURE_VERSION
    lead_vectorizer: CharacterNgramVectorizer | None = None
    # openings shared by many training texts, skipped by the lead block (empty for older artifacts)
    lead_prefixes: tuple[str, ...] = ()

    def __setstate__(self, state: dict[str, Any]) -> None:
        version = state.get("feature_version")
        if version not in READABLE_FEATURE_VERSIONS:
            raise ApplicationError(
                "classifier_artifact_outdated",
                _("该模型文件由旧版分类器（特征版本 %(old)s）训练，当前版本为 %(new)s，无法加载。"
                  "请用原训练数据重新训练并启用新版本。") % {"old": version, "new": FEATURE_VERSION},
            )
        state.setdefault("lead_prefixes", ())
        settings_state = state.get("settings")
        if isinstance(settings_state, ClassifierSettings):  # artifacts from before these settings existed
            settings_state.__dict__.setdefault("lead_skips_common_prefix", False)
            settings_state.__dict__.setdefault("drop_stop_words", True)
        if version == 4:  # trained before the lead block existed
            state.setdefault("lead_vectorizer", None)
            settings = state.get("settings")
            if isinstance(settings, ClassifierSettings):
                settings.lead_characters = 0
        self.__dict__.update(state)

    def _cleaned(self, text: str) -> str:
        return classifier_text(text, drop_stop_words=self.settings.drop_stop_words)

    def _features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return _features_of([self._cleaned(text) for text in texts], self.character_vectorizer,
                            self.word_vectorizer, self.lead_vectorizer, fit=False, lead_prefixes=self.lead_prefixes)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_feature_weights_cache", None)  # a cache, rebuilt on first use
        return state

    def _weights_by_feature(self) -> np.ndarray[Any, Any]:
        """The SVM's coefficients with one row per feature (contiguous, float64): rows are gathered per text."""
        weights: np.ndarray[Any, Any] | None = self.__dict__.get("_feature_weights_cache")
        if weights is None:
            weights = np.ascontiguousarray(self.model.coef_.T, dtype=np.float64)
            self.__dict__["_feature_weights_cache"] = weights
        return weights

    def decision_values(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        # The linear model's own arithmetic, without scikit-learn's per-call input validation
        # (which is most of the cost of classifying one message).
        if len(texts) == 1:
            values = self._single_decision_values(texts[0])
        else:
            values = self._features(texts) @ self.model.coef_.T + self.model.intercept_
        return _two_columns(values[:, 0] if values.shape[1] == 1 else values)

    def _single_decision_values(self, text: str) -> np.ndarray[Any, Any]:
        """One text (intake's case): gather the rows of its features' weights, no sparse matrices built."""
        weights = self._weights_by_feature()
        cleaned = self._cleaned(text)
        columns, values = self.character_vectorizer.row_entries(cleaned)
        scores: np.ndarray[Any, Any] = values @ weights[columns]
        offset = len(self.character_vectorizer.vocabulary)
        if self.word_vectorizer is not None:
            word_columns, word_values = self.word_vectorizer.row_entries(classifier_words(cleaned))
            scores = scores + word_values @ weights[offset + word_columns]
            offset += len(self.word_vectorizer.vocabulary)
        if self.lead_vectorizer is not None:
            lead_columns, lead_values = self.lead_vectorizer.row_entries(_without_prefix(cleaned, self.lead_prefixes))
            scores = scores + lead_values @ weights[offset + lead_columns]
        result: np.ndarray[Any, Any] = (scores + self.model.intercept_)[np.newaxis, :]
        return result

    def probabilities(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        """Calibrated probabilities, one row per text, columns in the order of ``self.labels``."""
        scores = self.decision_values(texts) @ self.calibrator.coef_.T + self.calibrator.intercept_
        if scores.shape[1] == 1:  # binary: scikit-learn's logistic regression keeps one column
            positive = 1 / (1 + np.exp(-scores[:, 0]))
            return np.column_stack([1 - positive, positive])
        scores -= scores.max(axis=1, keepdims=True)
        exponentials = np.exp(scores)
        result: np.ndarray[Any, Any] = exponentials / exponentials.sum(axis=1, keepdims=True)
        return result

    def predict(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        if not texts:
            return []
        class_labels = [self.labels[int(index)] for index in self.calibrator.classes_]
        ranked: list[list[tuple[str, float]]] = []
        for row in self.probabilities(texts):
            pairs = sorted(zip(class_labels, (float(value) for value in row), strict=True),
                           key=lambda pair: -pair[1])
            ranked.append(pairs)
        return ranked

    def predict_labels(self, texts: Sequence[str]) -> list[str]:
        values = self.decision_values(texts)
        return [self.labels[int(index)] for index in np.argmax(values, axis=1)]


def _two_columns(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """A binary SVM gives one decision column; make it one per class like the multi-class case."""
    return np.column_stack([-values, values]) if values.ndim == 1 else values


def _make_vectorizers(
    settings: ClassifierSettings,
) -> tuple[CharacterNgramVectorizer, WordNgramVectorizer | None, CharacterNgramVectorizer | None]:
    characters = CharacterNgramVectorizer(
        ngram_range=settings.character_ngram_range, min_document_frequency=settings.min_document_frequency,
        max_features=settings.max_character_features,
    )
    words = None if not settings.use_words else WordNgramVectorizer(
        ngram_range=settings.word_ngram_range, min_document_frequency=settings.min_document_frequency,
        max_features=settings.max_word_features, weight=settings.word_weight,
    )
    lead = None if settings.lead_characters <= 0 else CharacterNgramVectorizer(
        ngram_range=settings.character_ngram_range, min_document_frequency=settings.min_document_frequency,
        max_features=settings.max_lead_features, leading_characters=settings.lead_characters,
        weight=settings.lead_weight,
    )
    return characters, words, lead


def _features_of(
    cleaned: Sequence[str], characters: CharacterNgramVectorizer, words: WordNgramVectorizer | None,
    lead: CharacterNgramVectorizer | None, *, fit: bool, lead_prefixes: Sequence[str] = (),
) -> sparse.csr_matrix:
    """Character n-gram columns, then (when used) word n-gram and lead columns, of texts already cleaned."""
    blocks = [characters.fit_transform(cleaned) if fit else characters.transform(cleaned)]
    if words is not None:
        token_lists = [classifier_words(text) for text in cleaned]
        blocks.append(words.fit_transform(token_lists) if fit else words.transform(token_lists))
    if lead is not None:
        leads = [_without_prefix(text, lead_prefixes) for text in cleaned] if lead_prefixes else cleaned
        blocks.append(lead.fit_transform(leads) if fit else lead.transform(leads))
    if len(blocks) == 1:
        return blocks[0]
    features: sparse.csr_matrix = sparse.hstack(blocks, format="csr")
    return features


def _make_model(settings: ClassifierSettings) -> LinearSVC:
    # deferred: scikit-learn/SciPy take about a second to import; only this computation needs them
    from sklearn.svm import LinearSVC

    return LinearSVC(C=settings.regularisation, class_weight=settings.class_weight)


ProgressCallback = Callable[[str], None]


def _no_progress(message: str) -> None:
    return None


def classifier_fit(
    *, name: str, texts: Sequence[str], labels: Sequence[str], settings: ClassifierSettings | None = None,
    progress: ProgressCallback = _no_progress,
) -> CategoryClassifier:
    """Fit the vectorizer, the SVM and its probability calibration on the given texts."""
    # deferred: scikit-learn/SciPy take about a second to import; only this computation needs them
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    settings = settings or ClassifierSettings()
    label_names = sorted(set(labels))
    label_index = {label: index for index, label in enumerate(label_names)}
    targets = np.array([label_index[label] for label in labels])
    progress(_("文本清洗（去标点、去停用词）…"))
    cleaned = [classifier_text(text, drop_stop_words=settings.drop_stop_words) for text in texts]
    progress(_("特征提取（字符 n-gram、词 n-gram、开头 n-gram）…"))
    vectorizer, word_vectorizer, lead_vectorizer = _make_vectorizers(settings)
    lead_prefixes = common_prefixes(cleaned) if lead_vectorizer is not None and settings.lead_skips_common_prefix \
        else ()
    features = _features_of(cleaned, vectorizer, word_vectorizer, lead_vectorizer, fit=True,
                            lead_prefixes=lead_prefixes)
    progress(_("训练线性 SVM …"))
    model = _make_model(settings)
    model.fit(features, targets)
    progress(_("概率校准（交叉验证）…"))
    # The calibration folds reuse the vocabulary of the whole set: it only decides which n-grams
    # exist, not how they weigh on a label, so the decision values stay out-of-fold.
    out_of_fold = np.zeros((len(targets), max(2, len(label_names))), dtype=np.float64)
    smallest_class = int(np.bincount(targets).min())
    if smallest_class >= 2:
        folds = max(2, min(settings.calibration_folds, smallest_class))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        for train_index, test_index in splitter.split(features, targets):
            fold_model = _make_model(settings)
            fold_model.fit(features[train_index], targets[train_index])
            out_of_fold[test_index] = _two_columns(fold_model.decision_function(features[test_index]))
    else:
        out_of_fold = _two_columns(model.decision_function(features))
    calibrator = LogisticRegression(C=1.0, max_iter=1000)
    calibrator.fit(out_of_fold, targets)
    return CategoryClassifier(
        name=name, labels=label_names, character_vectorizer=vectorizer, word_vectorizer=word_vectorizer,
        model=model, calibrator=calibrator, settings=settings, lead_vectorizer=lead_vectorizer,
        lead_prefixes=lead_prefixes,
    )


@dataclass(frozen=True)
class ClassifierEvaluation:
    macro_f1: float
    accuracy: float
    per_class: dict[str, dict[str, float]]
    confusion_labels: list[str]
    confusion_matrix: list[list[int]]
    ms_per_message: float
    message_count: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "macro_f1": self.macro_f1,
            "accuracy": self.accuracy,
            "per_class": self.per_class,
            "confusion_labels": self.confusion_labels,
            "confusion_matrix": self.confusion_matrix,
            "ms_per_message": self.ms_per_message,
            "message_count": self.message_count,
        }


def classifier_evaluate_on(
    classifier: CategoryClassifier, *, texts: Sequence[str], labels: Sequence[str]
) -> ClassifierEvaluation:
    """Macro-F1, accuracy, per-class precision/recall/F1, confusion matrix, ms/message."""
    # deferred: scikit-learn/SciPy take about a second to import; only this computation needs them
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    classifier.predict(list(texts[:1]))  # loads the word dictionary once per process: not a per-message cost
    started = time.perf_counter()
    ranked = classifier.predict(texts)
    elapsed = time.perf_counter() - started
    predicted = [pairs[0][0] if pairs else "" for pairs in ranked]
    label_names = sorted(set(labels) | set(classifier.labels))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=label_names, zero_division=0
    )
    per_class = {
        label: {"precision": round(float(precision[index]), 4), "recall": round(float(recall[index]), 4),
                "f1": round(float(f1[index]), 4), "support": int(support[index])}
        for index, label in enumerate(label_names)
    }
    present = sorted(set(labels))
    return ClassifierEvaluation(
        macro_f1=round(float(f1_score(labels, predicted, labels=present, average="macro", zero_division=0)), 4),
        accuracy=round(float(accuracy_score(labels, predicted)), 4),
        per_class=per_class,
        confusion_labels=label_names,
        confusion_matrix=confusion_matrix(labels, predicted, labels=label_names).tolist(),
        ms_per_message=round(1000 * elapsed / max(1, len(texts)), 4),
        message_count=len(texts),
    )
