"""Degree of authorship and the greedy truck factor."""
from __future__ import annotations

import pytest

from coe_plugins.git.truckfactor import degree_of_authorship, file_authors, truck_factor


def test_degree_of_authorship_formula() -> None:
    assert degree_of_authorship(True, 1, 0) == pytest.approx(3.293 + 1.098 + 0.164)
    assert degree_of_authorship(False, 2, 3) == pytest.approx(3.293 + 0.328 - 0.321 * 1.3862944)
    # file_authors applies the same formula: ann (creator, 1 change) vs ben (5 changes).
    ann, ben = degree_of_authorship(True, 1, 5), degree_of_authorship(False, 5, 1)
    assert file_authors("ann", {"ann": [1], "ben": [5]}) == [a for a, s in (("ann", ann), ("ben", ben)) if s / max(ann, ben) > 0.75]


def test_file_authors_keeps_only_strong_authors() -> None:
    assert file_authors("ann", {"ann": [1]}) == ["ann"]
    # ben made many changes; ann's creation no longer makes her an author.
    assert file_authors("ann", {"ann": [1], "ben": [30]}) == ["ben"]
    assert sorted(file_authors(None, {"ann": [5, 9, 9], "ben": [5, 0, 0]})) == ["ann", "ben"]
    assert file_authors(None, {}) == []


def test_truck_factor_removes_top_authors_until_half_is_orphaned() -> None:
    files = [["ann"], ["ann"], ["ann", "ben"], ["ben"], ["cat"], ["cat"]]
    result = truck_factor(files, order_key=lambda a: a)
    assert (result.value, result.authors, result.files) == (2, ["ann", "ben"], 6)


def test_truck_factor_of_nothing_and_of_one_author() -> None:
    assert truck_factor([]).value == 0
    assert truck_factor([["ann"], ["ann"]]).authors == ["ann"]
    assert truck_factor([[], []]).value == 0
