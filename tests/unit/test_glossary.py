"""The Mandarin <-> English glossary `ask` expands a question with: a term's name in the other language,
whole words only, the longer term first, nothing the question already says."""

from __future__ import annotations

from bot.glossary import translate


def test_terms_are_named_in_the_other_language_in_the_order_asked():
    assert translate("谁做过限流和熔断？") == ["rate limiting", "circuit breaker"]
    assert translate("Who mentored new grads after a postmortem?") == ["带新人", "应届生", "复盘"]
    assert translate("Anyone with idempotent payment retries?") == ["幂等", "支付", "重试"]


def test_a_longer_term_wins_and_words_match_whole():
    assert translate("Who ran performance reviews?") == ["绩效"]  # not also code review's 代码评审
    assert translate("cachet and indexing") == ["索引"]  # "cachet" is not "cache"


def test_nothing_is_added_that_the_question_already_says_or_the_glossary_does_not_know():
    assert translate("幂等 idempotency") == []
    assert translate("今天天气怎么样") == []
