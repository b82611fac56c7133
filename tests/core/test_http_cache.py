"""RFC 9111 freshness as pure rules: Cache-Control parsing, age, lifetime, 304 refresh."""

from email.utils import formatdate

from reeleditor.core.http_cache import (
    StoredResponse,
    conditional_headers,
    current_age,
    freshness_lifetime,
    is_fresh,
    parse_cache_control,
    refreshed,
    storable,
)

T = 1_700_000_000.0


def stored(**kw) -> StoredResponse:
    base = dict(url="http://x/a", date=formatdate(T, usegmt=True), request_time=T, response_time=T)
    return StoredResponse(**{**base, **kw})


def test_cache_control_parsing():
    cc = parse_cache_control('Public, MAX-AGE=60, no-cache="Set-Cookie", immutable')
    assert cc == {"public": None, "max-age": "60", "no-cache": "Set-Cookie", "immutable": None}
    assert parse_cache_control(None) == {}
    assert not storable({"Cache-Control": "private, no-store"})
    assert storable({"Cache-Control": "max-age=1"}) and storable({})


def test_max_age_minus_age_decides():
    s = stored(cache_control="max-age=100", age="40")
    assert freshness_lifetime(s) == 100
    assert current_age(s, T + 10) == 50
    assert is_fresh(s, T + 59) and not is_fresh(s, T + 60)


def test_apparent_age_from_a_date_in_the_past():
    s = stored(cache_control="max-age=100", date=formatdate(T - 90, usegmt=True))
    assert current_age(s, T) == 90
    assert is_fresh(s, T + 9) and not is_fresh(s, T + 11)


def test_expires_without_max_age_and_bad_values():
    s = stored(expires=formatdate(T + 30, usegmt=True))
    assert freshness_lifetime(s) == 30
    assert freshness_lifetime(stored(expires="0")) == 0  # invalid: already expired
    assert freshness_lifetime(stored(cache_control="max-age=abc")) == 0
    assert freshness_lifetime(stored()) == 0  # nothing said: revalidate (no heuristics)


def test_no_cache_is_never_fresh():
    assert not is_fresh(stored(cache_control="max-age=1000, no-cache"), T)


def test_validators_and_the_304_refresh():
    s = stored(etag='"e"', last_modified="Sat, 01 Nov 2025 10:00:00 GMT", cache_control="max-age=5")
    assert conditional_headers(s) == {
        "If-None-Match": '"e"',
        "If-Modified-Since": "Sat, 01 Nov 2025 10:00:00 GMT",
    }
    assert not is_fresh(s, T + 100)
    r = refreshed(s, {"Cache-Control": "max-age=50"}, T + 100, T + 100)
    assert r.etag == '"e"' and is_fresh(r, T + 140) and not is_fresh(r, T + 151)
    assert StoredResponse.from_dict(r.to_dict()) == r
