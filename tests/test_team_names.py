"""The team's names for the filters' suggestions: read from the cache only when they change."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from team import names
from team.names import Datalists


def lists(*operators: tuple[str, str]) -> Datalists:
    options = "".join(f'<option value="{key}">{name} ({key})</option>' for key, name in operators)
    return Datalists(list(operators), [], f'<datalist id="team-operators">{options}</datalist>')


@pytest.fixture
def lists_reads(monkeypatch):
    """How many times the lists themselves (not their version) were read from the cache."""
    reads = []
    real_get = cache.get

    def get(key, *args, **kwargs):
        if key.startswith("team:datalists:3:"):
            reads.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", get)
    return reads


@pytest.mark.django_db
def test_unchanged_lists_are_read_from_the_cache_once_per_process(lists_reads):
    names.publish(lists(("OP-7", "Ana")))
    first = names.datalists()
    for _ in range(5):
        assert names.datalists() is first
    assert first.name_of("external_operator_id", "OP-7") == "Ana (OP-7)"
    assert len(lists_reads) <= 1


@pytest.mark.django_db
def test_lists_published_elsewhere_show_on_the_next_page(lists_reads):
    names.publish(lists(("OP-7", "Ana")))
    before = names.version()
    names.datalists()
    # Another worker (or the syncer's next interval) publishes new names.
    other_name, _ = names.publish(lists(("OP-7", "Ana"), ("OP-9", "Bea")))

    assert names.version() == other_name != before
    assert "Bea (OP-9)" in names.datalists().markup


@pytest.mark.django_db
def test_a_version_whose_lists_are_gone_is_built_again_from_the_copy():
    name, _ = names.publish(lists(("OP-7", "Ana")))
    names.datalists()
    cache.delete(names.LISTS_KEY.format(name))
    cache.set(names.VERSION_KEY, "gone")

    # The local copy is empty here: the lists are built from it, not from the old ones.
    assert names.datalists().operators == []
    assert names.version() not in (name, "gone")
