"""Each ecosystem's version order, OSV range evaluation and declared constraints."""
from __future__ import annotations

import pytest

from coe_framework.vulns.versions import Interval, RangeError, affected_intervals, allowed_intervals, parse_version


def ordered(scheme: str, *versions: str) -> bool:
    parsed = [parse_version(scheme, v) for v in versions]
    assert None not in parsed, versions
    return all(a < b for a, b in zip(parsed, parsed[1:]))


def test_pep440_pre_releases_epochs_and_post_releases() -> None:
    assert ordered("pypi", "1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.1")
    assert ordered("pypi", "2024.1", "1!0.1"), "an epoch outranks any version without one"
    assert parse_version("pypi", "1.0.0") == parse_version("pypi", "1.0")
    assert parse_version("pypi", "not a version") is None


def test_semver_pre_releases_and_build_metadata() -> None:
    assert ordered("npm", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1")
    assert parse_version("npm", "1.0.0+build.5") == parse_version("npm", "1.0.0"), "build metadata has no precedence"
    assert parse_version("cargo", "0.3.0+zstd.1.5") == parse_version("cargo", "0.3.0")


def test_go_pseudo_versions_and_incompatible() -> None:
    assert parse_version("golang", "v2.0.0+incompatible") == parse_version("golang", "v2.0.0")
    assert ordered("golang", "v0.0.0-20190101000000-aaaaaaaaaaaa", "v0.0.0-20200101000000-bbbbbbbbbbbb", "v0.0.1")
    assert ordered("golang", "v1.2.3", "v1.2.4-0.20200101000000-cccccccccccc", "v1.2.4")
    # A SEMVER range names versions without the "v".
    assert parse_version("SEMVER", "2.0.0") == parse_version("golang", "v2.0.0+incompatible")


def test_maven_rubygems_nuget_packagist_orders() -> None:
    assert ordered("maven", "1.0-alpha-1", "1.0-SNAPSHOT", "1.0", "1.0.1", "1.10")
    assert ordered("gem", "1.0.0.pre", "1.0.0", "1.0.1", "1.10")
    assert ordered("nuget", "1.0.0-beta", "1.0.0", "1.0.0.1", "1.1.0")
    assert parse_version("nuget", "1.0.0+abc") == parse_version("nuget", "1.0.0")
    assert ordered("composer", "v1.2.3", "1.2.4", "2.0.0")


def test_ranges_introduced_fixed_last_affected_and_limit() -> None:
    intervals = affected_intervals("pypi", [{"introduced": "1.0"}, {"fixed": "1.5"}, {"introduced": "2.0"}, {"last_affected": "2.3"}, {"limit": "3"}])
    hit = lambda v: any(i.contains(parse_version("pypi", v)) for i in intervals)  # noqa: E731
    assert [hit(v) for v in ("0.9", "1.0", "1.4.9", "1.5", "1.5rc1", "1.9", "2.0", "2.3", "2.3.1")] == [
        False, True, True, False, True, False, True, True, False]
    assert [i.fixed for i in intervals] == ["1.5", None]
    # Events come in any order; introduced "0" is the beginning of time.
    unsorted = affected_intervals("npm", [{"fixed": "2.0.0"}, {"introduced": "0"}])
    assert unsorted == [Interval(None, True, parse_version("npm", "2.0.0"), False, "2.0.0")]
    assert affected_intervals("npm", [{"introduced": "1.0.0"}])[0].high is None, "no fix yet: open-ended"


@pytest.mark.parametrize("events", [[{"introduced": "zzz"}], [{"bogus": "1"}], [{"introduced": "1", "fixed": "2"}], ["1.0"]])
def test_malformed_events_are_errors(events: list) -> None:
    with pytest.raises(RangeError):
        affected_intervals("pypi", events)


@pytest.mark.parametrize(("ecosystem", "constraint", "inside", "outside"), [
    ("pypi", ">=2.0,<3", "2.5", "3.0"),
    ("pypi", "~=1.4.2", "1.4.9", "1.5"),
    ("pypi", "==1.*", "1.9", "2.0"),
    ("npm", "^1.2.3", "1.9.0", "2.0.0"),
    ("npm", "~1.2 || >=3.0.0", "3.1.0", "1.3.0"),
    ("cargo", "1.2", "1.9.0", "2.0.0"),
    ("composer", "~1.2", "1.9.0", "2.0.0"),
    ("composer", "^1.0 || ^3.0", "3.0.1", "2.0.0"),
    ("gem", "~> 1.2, >= 1.2.3", "1.9", "1.2.2"),
    ("nuget", "[1.0,2.0)", "1.5.0", "2.0.0"),
    ("maven", "[1.0,2.0)", "1.5", "2.0"),
])
def test_declared_constraints(ecosystem: str, constraint: str, inside: str, outside: str) -> None:
    allowed = allowed_intervals(ecosystem, constraint)
    assert allowed, constraint
    assert any(i.contains(parse_version(ecosystem, inside)) for i in allowed)
    assert not any(i.contains(parse_version(ecosystem, outside)) for i in allowed)


@pytest.mark.parametrize(("ecosystem", "constraint"), [("npm", "latest"), ("npm", "file:../x"), ("cargo", "git:https://x@main"), ("golang", "v1.2.3")])
def test_references_allow_no_range(ecosystem: str, constraint: str) -> None:
    assert allowed_intervals(ecosystem, constraint) is None


def test_overlap_respects_open_ends() -> None:
    allowed = allowed_intervals("npm", ">1.0.0 <1.5.0")[0]
    assert allowed.overlaps(affected_intervals("npm", [{"introduced": "1.0.0"}, {"fixed": "1.5.0"}])[0])
    assert not allowed.overlaps(affected_intervals("npm", [{"introduced": "0"}, {"last_affected": "1.0.0"}])[0])
    assert not allowed.overlaps(affected_intervals("npm", [{"introduced": "1.5.0"}])[0])
