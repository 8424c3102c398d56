from __future__ import annotations

import copy
import dataclasses
import itertools
import pickle

import joblib
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from zhili.core.errors import ApplicationError
from zhili.textintel.artifacts import classifier_artifact_read, file_sha256, model_directory
from zhili.textintel.classifier import (
    READABLE_FEATURE_VERSIONS,
    CharacterNgramVectorizer,
    ClassifierSettings,
    WordNgramVectorizer,
    classifier_fit,
    classifier_text,
    classifier_words,
    common_prefixes,
)
from zhili.textintel.normalization import folded_text
from zhili.textintel.stopwords import PROTECTED_WORDS, STOPWORDS, stopwords_removed

TEXTS = ["小区道路破损坑洼", "楼顶水箱二次供水", "路灯不亮夜间出行", "工厂排放废气刺鼻", "河道污水发黑发臭",
         "学校学位不足入学", "幼儿园收费过高", "餐馆油烟直排扰民", "路灯", "a"]
LABELS = ["城乡建设", "城乡建设", "城乡建设", "环境保护", "环境保护", "教育文体", "教育文体", "环境保护", "城乡建设",
          "教育文体"]


def test_segmented_export_and_raw_intake_text_fold_to_the_same_classifier_text() -> None:
    segmented = "A1 区 蔡锷 南路 水箱 长年 洗 ２０１９ 年 市 号 栋"
    raw = "A1区蔡锷南路的水箱，长年都没有洗！2019年。A市×××号2栋"
    assert classifier_text(segmented) == classifier_text(raw) == "a0区蔡锷南路水箱长年洗0年市号栋"


def test_stop_words_are_dropped_as_words_and_kept_inside_the_publishers_content_words() -> None:
    assert {"的", "是", "我们", "没有", "a", "2", ","} <= STOPWORDS
    assert {"目的", "自来水"} <= PROTECTED_WORDS
    assert stopwords_removed(folded_text("我们发现那里的路灯怎么样都不亮")) == "发现路灯不亮"  # 不亮: a word the publisher kept
    # 的 and 自 are stop words, but not inside 目的 / 自来水, which the publisher kept as words.
    assert stopwords_removed(folded_text("我的目的是喝上干净的自来水")) == "目的喝上干净自来水"
    # A run of letters and digits is one token: "a" and "2" alone are stop words, "a1" and "2019" are not.
    assert stopwords_removed(folded_text("A市A1区2栋2019年")) == "市a1区栋2019年"


def test_the_recovered_word_lists_are_regenerated_by_the_bench_script() -> None:
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data"
    for name in ("publisher_stopwords.txt", "protected_words.txt"):
        assert "bench/recover_stopwords.py" in (data / name).read_text(encoding="utf-8").splitlines()[0]
    assert 500 < len(STOPWORDS) < 1000


def test_character_vectorizer_gives_the_same_matrix_as_scikit_learn() -> None:
    ours = CharacterNgramVectorizer(ngram_range=(1, 3), min_document_frequency=2)
    theirs = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False, sublinear_tf=True, min_df=2)
    ours_matrix = ours.fit_transform(TEXTS).toarray()
    theirs_matrix = theirs.fit_transform(TEXTS).toarray()
    # Our columns are ordered by integer key, scikit-learn's by string: line the columns up by n-gram.
    order = [ours.vocabulary.tolist().index(_key(gram)) for gram in theirs.get_feature_names_out()]
    assert ours_matrix.shape == theirs_matrix.shape == (10, 7)
    np.testing.assert_allclose(ours_matrix[:, order], theirs_matrix, atol=1e-6)
    unseen = ["路灯坏了，没有人修", ""]
    np.testing.assert_allclose(ours.transform(unseen).toarray()[:, order], theirs.transform(unseen).toarray(),
                               atol=1e-6)


def _key(gram: str) -> int:
    key = 0
    for character in gram:
        key = key * 0x110001 + ord(character) + 1
    return key


def test_character_vectorizer_keeps_the_most_frequent_n_grams_and_refuses_4_grams() -> None:
    vectorizer = CharacterNgramVectorizer(ngram_range=(1, 1), min_document_frequency=1, max_features=2)
    vectorizer.fit_transform(["路路路灯灯", "路灯水"])
    assert sorted(chr(key - 1) for key in vectorizer.vocabulary.tolist()) == ["灯", "路"]
    with pytest.raises(ValueError, match="1–3"):
        CharacterNgramVectorizer(ngram_range=(1, 4))


def test_words_are_cut_by_longest_dictionary_match_alike_for_segmented_and_raw_text() -> None:
    assert classifier_words("小区楼顶水箱长年不洗") == ["小区", "楼顶", "水箱", "长年", "不", "洗"]
    assert classifier_words("a0区蔡锷南路") == ["a", "0", "区", "蔡锷", "南路"]
    assert classifier_words("") == []
    segmented = "A1 区 蔡锷 南路 水箱 长年 洗"
    raw = "A1区蔡锷南路的水箱，长年都没有洗！"
    assert classifier_words(classifier_text(segmented)) == classifier_words(classifier_text(raw))


def test_word_vectorizer_gives_the_same_matrix_as_scikit_learn_times_its_weight() -> None:
    token_lists = [classifier_words(classifier_text(text)) for text in TEXTS]
    ours = WordNgramVectorizer(ngram_range=(1, 2), min_document_frequency=1, weight=0.7)
    theirs = TfidfVectorizer(analyzer=lambda tokens: tokens, sublinear_tf=True, min_df=1)
    bigrams = [list(tokens) + [f"{a} {b}" for a, b in itertools.pairwise(tokens)] for tokens in token_lists]
    ours_matrix = ours.fit_transform(token_lists).toarray()
    theirs_matrix = theirs.fit_transform(bigrams).toarray()
    order = [ours.vocabulary[gram] for gram in theirs.get_feature_names_out()]
    np.testing.assert_allclose(ours_matrix[:, order], 0.7 * theirs_matrix, atol=1e-6)
    unseen = [["路灯", "不", "亮"], []]
    unseen_bigrams = [["路灯", "不", "亮", "路灯 不", "不 亮"], []]
    np.testing.assert_allclose(ours.transform(unseen).toarray()[:, order], 0.7 * theirs.transform(unseen_bigrams).toarray(),
                               atol=1e-6)
    capped = WordNgramVectorizer(ngram_range=(1, 1), min_document_frequency=1, max_features=2)
    capped.fit_transform([["路", "路", "灯"], ["路", "灯", "水"]])
    assert sorted(capped.vocabulary) == ["灯", "路"]


def test_the_model_has_character_then_word_then_lead_columns_and_each_block_can_be_left_out() -> None:
    only_characters = classifier_fit(name="t", texts=TEXTS * 2, labels=LABELS * 2,
                                     settings=ClassifierSettings(use_words=False, lead_characters=0))
    assert only_characters.word_vectorizer is None
    assert only_characters.lead_vectorizer is None
    assert only_characters.model.coef_.shape[1] == len(only_characters.character_vectorizer.vocabulary)
    full = classifier_fit(name="t", texts=TEXTS * 2, labels=LABELS * 2)
    assert full.word_vectorizer is not None
    assert full.lead_vectorizer is not None
    assert full.model.coef_.shape[1] == len(full.character_vectorizer.vocabulary) + len(
        full.word_vectorizer.vocabulary) + len(full.lead_vectorizer.vocabulary)


def test_the_lead_block_sees_only_the_first_characters_at_its_weight() -> None:
    lead = CharacterNgramVectorizer(ngram_range=(1, 1), min_document_frequency=1, leading_characters=2, weight=0.5)
    matrix = lead.fit_transform(["路灯不亮", "路面破损"]).toarray()
    assert sorted(chr(key - 1) for key in lead.vocabulary.tolist()) == ["灯", "路", "面"]
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), [0.5, 0.5], atol=1e-6)
    # what lies past the lead does not change the row, in a batch or alone
    np.testing.assert_allclose(lead.transform(["路灯坏了很久"]).toarray(), lead.transform(["路灯"]).toarray())
    columns, values = lead.row_entries("路灯坏了很久")
    row = np.zeros(len(lead.vocabulary))
    row[columns] = values
    np.testing.assert_allclose(row, lead.transform(["路灯"]).toarray()[0], atol=1e-6)


def test_the_lead_changes_the_decision_only_through_the_first_characters() -> None:
    """Two texts that differ only past the lead differ in character and word columns, never in lead columns."""
    classifier = classifier_fit(name="t", texts=TEXTS * 2, labels=LABELS * 2)
    assert classifier.lead_vectorizer is not None
    start = "小区路灯不亮晚上出行很不方便希望有关部门尽快维修道路破损坑洼积水严重"  # ≥ 25 characters after cleaning
    assert len(classifier_text(start)) >= classifier.settings.lead_characters
    features = classifier._features([start + "餐馆油烟", start + "学校学位"]).toarray()
    lead_columns = features[:, -len(classifier.lead_vectorizer.vocabulary):]
    np.testing.assert_allclose(lead_columns[0], lead_columns[1])
    assert np.abs(features[0] - features[1]).sum() > 0


@pytest.mark.parametrize("labels", [LABELS, ["甲" if label == "城乡建设" else "乙" for label in LABELS]])
def test_probabilities_equal_the_calibrators_own_and_sum_to_one(labels: list[str]) -> None:
    classifier = classifier_fit(name="t", texts=TEXTS * 2, labels=labels * 2, settings=ClassifierSettings())
    texts = ["小区路灯不亮", "餐馆油烟", ""]
    decision = classifier.model.decision_function(classifier._features(texts))
    if decision.ndim == 1:
        decision = np.column_stack([-decision, decision])
    np.testing.assert_allclose(classifier.probabilities(texts), classifier.calibrator.predict_proba(decision),
                               atol=1e-12)
    ranked = classifier.predict(texts)
    assert [len(pairs) for pairs in ranked] == [len(set(labels))] * 3
    assert all(abs(sum(probability for _label, probability in pairs) - 1) < 1e-9 for pairs in ranked)
    assert classifier.predict_labels(texts)[0] == ranked[0][0][0]


@pytest.mark.parametrize("labels", [LABELS, ["甲" if label == "城乡建设" else "乙" for label in LABELS]])
def test_one_text_alone_scores_as_it_does_in_a_batch(labels: list[str]) -> None:
    """Intake classifies one text at a time by gathering weight rows; a batch builds sparse matrices."""
    classifier = classifier_fit(name="t", texts=TEXTS * 2, labels=labels * 2, settings=ClassifierSettings())
    texts = ["小区路灯不亮，晚上很黑", "餐馆油烟扰民", "", "完全无关的内容"]
    batch = classifier.decision_values(texts)
    alone = np.vstack([classifier.decision_values([text]) for text in texts])
    assert batch.shape == alone.shape == (4, 2 if len(set(labels)) == 2 else len(set(labels)))
    np.testing.assert_allclose(alone, batch, atol=1e-5)  # the batch's matrix is float32
    assert "_feature_weights_cache" in classifier.__dict__  # filled by the one-text path
    restored = pickle.loads(pickle.dumps(classifier))  # noqa: S301 - our own object
    assert "_feature_weights_cache" not in restored.__dict__  # a cache is not saved with the model
    np.testing.assert_allclose(restored.decision_values(texts[:1]), alone[:1])


def test_an_opening_most_texts_share_is_skipped_by_the_lead_and_scores_alike_alone_or_in_a_batch() -> None:
    """Transcribed calls all start "市民来电反映：": the lead block looks past that at what the caller says."""
    calls = [f"市民来电反映：{text}" for text in TEXTS]
    assert common_prefixes([classifier_text(text) for text in calls]) == ("市民来电反映",)
    assert common_prefixes([classifier_text(text) for text in TEXTS]) == ()
    classifier = classifier_fit(name="t", texts=calls * 2, labels=LABELS * 2)
    assert classifier.lead_prefixes == ("市民来电反映",)
    kept = classifier_fit(name="t", texts=calls * 2, labels=LABELS * 2,
                          settings=ClassifierSettings(lead_skips_common_prefix=False))
    assert kept.lead_prefixes == ()
    texts = ["市民来电反映：小区路灯不亮，晚上很黑", "市民来电反映：餐馆油烟扰民", "路灯坏了"]
    np.testing.assert_allclose(np.vstack([classifier.decision_values([text]) for text in texts]),
                               classifier.decision_values(texts), atol=1e-5)
    lead_block = classifier._features(["市民来电反映：餐馆油烟"]).toarray()[0, -len(
        classifier.lead_vectorizer.vocabulary):]  # type: ignore[union-attr]
    same_without_opening = classifier._features(["餐馆油烟"]).toarray()[0, -len(
        classifier.lead_vectorizer.vocabulary):]  # type: ignore[union-attr]
    np.testing.assert_allclose(lead_block, same_without_opening)


def test_stop_words_can_be_kept() -> None:
    assert classifier_text("我们的路灯不亮", drop_stop_words=False) == "我们的路灯不亮"
    assert classifier_text("我们的路灯不亮") != "我们的路灯不亮"
    classifier = classifier_fit(name="t", texts=TEXTS * 2, labels=LABELS * 2,
                                settings=ClassifierSettings(drop_stop_words=False))
    assert classifier._cleaned("我们的路灯") == "我们的路灯"


def test_an_artifact_of_an_older_feature_version_is_refused_with_a_request_to_retrain() -> None:
    classifier = classifier_fit(name="t", texts=TEXTS * 2, labels=LABELS * 2)
    path = model_directory() / "old-version.joblib"
    joblib.dump(dataclasses.replace(classifier, feature_version=min(READABLE_FEATURE_VERSIONS) - 1), path)
    with pytest.raises(ApplicationError) as raised:
        classifier_artifact_read(path, expected_sha256=file_sha256(path))
    assert raised.value.code == "classifier_artifact_outdated"
    assert "重新训练" in raised.value.message
    current = model_directory() / "current-version.joblib"
    joblib.dump(classifier, current)
    assert classifier_artifact_read(current, expected_sha256=file_sha256(current)).predict(["路灯不亮"])[0][0][0] \
        == "城乡建设"


def test_a_version_4_artifact_without_a_lead_block_still_loads_and_scores_as_before() -> None:
    """An upgrade keeps a deployment's active model working: version 4 had no lead block."""
    classifier = classifier_fit(name="t", texts=TEXTS * 2, labels=LABELS * 2,
                                settings=ClassifierSettings(lead_characters=0))
    old = copy.deepcopy(classifier)
    # what a version-4 pickle holds: no lead block, and none of the attributes added with it
    del old.__dict__["lead_vectorizer"]
    for name in ("leading_characters", "weight"):
        del old.character_vectorizer.__dict__[name]
    for name in ("lead_characters", "lead_weight", "max_lead_features"):
        del old.settings.__dict__[name]
    old.feature_version = 4
    path = model_directory() / "version-4.joblib"
    joblib.dump(old, path)
    loaded = classifier_artifact_read(path, expected_sha256=file_sha256(path))
    assert loaded.feature_version == 4
    assert loaded.lead_vectorizer is None
    assert loaded.settings.lead_characters == 0
    texts = ["小区路灯不亮", "餐馆油烟直排"]
    np.testing.assert_allclose(loaded.probabilities(texts), classifier.probabilities(texts), atol=1e-12)
    np.testing.assert_allclose(loaded.decision_values(texts[:1]), classifier.decision_values(texts[:1]), atol=1e-12)
