"""The category classifier: features, model, training and evaluation (pure: no database).

Texts are folded to one shape before features are taken, so a history that was exported
already segmented ("A1 区 蔡锷 南路 …") and a raw intake text ("A1区蔡锷南路…") look alike:
NFKC, lower case, whitespace removed (:func:`classifier_text`). Features are the union of
character 1–3-grams of that text and jieba word 1–2-grams of it (TF-IDF, sublinear tf). The
model is a one-vs-rest linear SVM whose decision values are turned into probabilities by a
multinomial logistic regression fitted on out-of-fold decision values (Platt-style calibration,
so the confidence intake shows is a real probability). Everything runs on CPU with no download.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from zhili.textintel.normalization import despaced_text
from zhili.textintel.stopwords import STOPWORDS

_DIGIT_RUN = re.compile(r"\d+")
_JIEBA_SKIP = re.compile(r"^[\W_]+$")
FEATURE_VERSION = 1


def classifier_text(text: str) -> str:
    """The text as the classifier sees it: NFKC, lower case, no whitespace, digit runs as "0"."""
    return _DIGIT_RUN.sub("0", despaced_text(text))


def jieba_words(text: str) -> list[str]:
    """jieba tokens of an already-normalised text, punctuation and function words dropped."""
    import jieba  # imported lazily: loading its dictionary takes ~0.5 s

    return [token for token in jieba.lcut(text, HMM=False)
            if not _JIEBA_SKIP.match(token) and token not in STOPWORDS]


def content_text(text: str) -> str:
    """The normalised text with punctuation and function words removed (what char n-grams see)."""
    return "".join(jieba_words(text))


@dataclass(frozen=True)
class _WordNgrams:
    """Analyzer over pre-tokenised text (picklable, unlike a closure)."""

    ngram_range: tuple[int, int]

    def __call__(self, tokens: list[str]) -> list[str]:
        low, high = self.ngram_range
        grams: list[str] = []
        for size in range(low, high + 1):
            grams.extend(" ".join(tokens[index:index + size]) for index in range(len(tokens) - size + 1))
        return grams


def _word_ngrams_of(ngram_range: tuple[int, int]) -> _WordNgrams:
    return _WordNgrams(ngram_range)


@dataclass
class ClassifierSettings:
    """Hyper-parameters, chosen by 5-fold cross-validation on train_segmented.csv (docs/textintel.md)."""

    character_ngram_range: tuple[int, int] = (1, 3)
    word_ngram_range: tuple[int, int] = (1, 2)
    use_words: bool = True
    regularisation: float = 0.2
    max_character_features: int = 300_000
    max_word_features: int = 200_000
    calibration_folds: int = 2


@dataclass
class CategoryClassifier:
    """A trained classifier. ``predict`` gives, per text, (label, probability) best first."""

    name: str
    labels: list[str]
    character_vectorizer: TfidfVectorizer
    word_vectorizer: TfidfVectorizer | None
    model: LinearSVC
    calibrator: LogisticRegression
    settings: ClassifierSettings = field(default_factory=ClassifierSettings)
    feature_version: int = FEATURE_VERSION

    def _features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        token_lists = [jieba_words(classifier_text(text)) for text in texts]
        blocks = [self.character_vectorizer.transform(["".join(tokens) for tokens in token_lists])]
        if self.word_vectorizer is not None:
            blocks.append(self.word_vectorizer.transform(token_lists))
        return sparse.hstack(blocks, format="csr")

    def decision_values(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        values: np.ndarray[Any, Any] = self.model.decision_function(self._features(texts))
        return values

    def predict(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        if not texts:
            return []
        probabilities = self.calibrator.predict_proba(self.decision_values(texts))
        class_labels = [self.labels[int(index)] for index in self.calibrator.classes_]
        ranked: list[list[tuple[str, float]]] = []
        for row in probabilities:
            pairs = sorted(zip(class_labels, (float(value) for value in row), strict=True),
                           key=lambda pair: -pair[1])
            ranked.append(pairs)
        return ranked

    def predict_labels(self, texts: Sequence[str]) -> list[str]:
        values = self.decision_values(texts)
        return [self.labels[int(index)] for index in np.argmax(values, axis=1)]


def _make_vectorizers(settings: ClassifierSettings) -> tuple[TfidfVectorizer, TfidfVectorizer | None]:
    character_vectorizer = TfidfVectorizer(
        analyzer="char", ngram_range=settings.character_ngram_range, sublinear_tf=True, min_df=2,
        max_features=settings.max_character_features, dtype=np.float32,
    )
    word_vectorizer = None
    if settings.use_words:
        word_vectorizer = TfidfVectorizer(
            analyzer=_word_ngrams_of(settings.word_ngram_range),
            sublinear_tf=True, min_df=2, max_features=settings.max_word_features, dtype=np.float32,
        )
    return character_vectorizer, word_vectorizer


ProgressCallback = Callable[[str], None]


def _no_progress(message: str) -> None:
    return None


def classifier_fit(
    *, name: str, texts: Sequence[str], labels: Sequence[str], settings: ClassifierSettings | None = None,
    progress: ProgressCallback = _no_progress,
) -> CategoryClassifier:
    """Fit vectorizers, the SVM and its probability calibration on the given texts."""
    settings = settings or ClassifierSettings()
    label_names = sorted(set(labels))
    label_index = {label: index for index, label in enumerate(label_names)}
    targets = np.array([label_index[label] for label in labels])
    progress("分词与清洗（jieba，去停用词）…")
    token_lists = [jieba_words(classifier_text(text)) for text in texts]
    progress("特征提取（字符 n-gram）…")
    character_vectorizer, word_vectorizer = _make_vectorizers(settings)
    blocks = [character_vectorizer.fit_transform(["".join(tokens) for tokens in token_lists])]
    if word_vectorizer is not None:
        progress("特征提取（词 n-gram）…")
        blocks.append(word_vectorizer.fit_transform(token_lists))
    features = sparse.hstack(blocks, format="csr")
    progress("训练线性 SVM …")
    model = LinearSVC(C=settings.regularisation, class_weight="balanced")
    model.fit(features, targets)
    progress("概率校准（交叉验证）…")
    out_of_fold = np.zeros((len(targets), len(label_names)), dtype=np.float64)
    smallest_class = int(np.bincount(targets).min())
    folds = max(2, min(settings.calibration_folds, smallest_class))
    if smallest_class >= 2:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        for train_index, test_index in splitter.split(features, targets):
            fold_model = LinearSVC(C=settings.regularisation, class_weight="balanced")
            fold_model.fit(features[train_index], targets[train_index])
            decision = fold_model.decision_function(features[test_index])
            if decision.ndim == 1:
                decision = np.column_stack([-decision, decision])
            out_of_fold[test_index] = decision
    else:
        decision = model.decision_function(features)
        out_of_fold = np.column_stack([-decision, decision]) if decision.ndim == 1 else decision
    calibrator = LogisticRegression(C=1.0, max_iter=1000)
    calibrator.fit(out_of_fold, targets)
    return CategoryClassifier(
        name=name, labels=label_names, character_vectorizer=character_vectorizer,
        word_vectorizer=word_vectorizer, model=model, calibrator=calibrator, settings=settings,
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
