"""Code-aware terms: identifiers and paths split where a programmer sees words."""
from __future__ import annotations

from coe_framework.search.tokenize import MAX_QUERY_TERMS, identifier_parts, index_text, query_terms


def test_identifiers_split_on_case_underscores_and_digits() -> None:
    assert identifier_parts("retryPolicy") == ["retry", "policy"]
    assert identifier_parts("RETRY_POLICY") == ["retry", "policy"]
    assert identifier_parts("getHTTPResponse_code") == ["get", "http", "response", "code"]
    assert identifier_parts("utf8Decode") == ["utf", "8", "decode"]


def test_indexed_text_keeps_the_whole_identifier_and_its_parts() -> None:
    assert index_text("retryPolicy") == "retrypolicy retri polici"
    assert index_text("retry_policy") == index_text("RetryPolicy"), "every spelling gives the same terms"
    assert index_text("src/app/blueprints.py") == "src app blueprint py"


def test_words_are_stemmed_alike_in_documents_and_queries() -> None:
    assert query_terms("registered blueprints") == query_terms("register blueprint") == ["regist", "blueprint"]


def test_queries_lose_stopwords_and_every_operator() -> None:
    assert query_terms("where are blueprints registered?") == ["blueprint", "regist"]
    assert query_terms('"retry*" NEAR(a -b) OR 1=1; DROP TABLE x --') == ["retri", "near", "b", "1", "drop", "tabl", "x"]
    assert query_terms("the") == ["the"], "a query of stopwords alone still searches"
    assert query_terms("***") == []


def test_query_terms_are_capped() -> None:
    assert len(query_terms(" ".join(f"word{i}x" for i in range(500)))) == MAX_QUERY_TERMS
