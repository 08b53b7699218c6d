"""Fragments kept under a key made of what they are made of (chorus/fragments.py): from the
process's memory, then from the shared cache, rendered only when neither has them."""

from django.core.cache import cache

from chorus import fragments


def test_a_fragment_is_rendered_once_then_read_from_the_process(monkeypatch):
    renders, reads = [], []
    get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **kw: reads.append(key) or get(key, *a, **kw))
    for _ in range(3):
        html = fragments.kept_html("k:1", lambda: renders.append(1) or "<p>un</p>", timeout=60)
    assert html == "<p>un</p>" and hasattr(html, "__html__")
    assert len(renders) == 1 and reads == ["k:1"]  # the cache asked once, by the first call
    assert cache.get("k:1") == "<p>un</p>"


def test_a_fragment_written_by_another_process_is_read_from_the_cache():
    cache.set("k:2", "<p>deux</p>")
    assert fragments.kept_html("k:2", lambda: 1 / 0, timeout=60) == "<p>deux</p>"


def test_the_process_keeps_the_last_fragments_only(monkeypatch):
    monkeypatch.setattr(fragments, "LOCAL_MAX", 2)
    for key in ["a", "b", "a", "c"]:  # "a" read again: "b" is the oldest
        fragments.kept_html(key, lambda key=key: key.upper(), timeout=60)
    assert list(fragments._local) == ["a", "c"]
    cache.clear()
    renders = []
    assert fragments.kept_html("c", lambda: renders.append("c") or "?", timeout=60) == "C"  # kept
    assert fragments.kept_html("b", lambda: renders.append("b") or "B", timeout=60) == "B"
    assert renders == ["b"]


def test_a_value_is_kept_no_longer_than_its_seconds(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(fragments.time, "time", lambda: now[0])
    computed = []

    def compute():
        computed.append(now[0])
        return len(computed)

    assert fragments.kept_value("n", compute, seconds=60) == 1
    now[0] += 59
    assert fragments.kept_value("n", compute, seconds=60) == 1  # from the process
    fragments.clear()
    assert fragments.kept_value("n", compute, seconds=60) == 1  # from the cache, counted at 1000
    now[0] += 1  # 60 s after it was computed: neither copy is used
    assert fragments.kept_value("n", compute, seconds=60) == 2
    assert computed == [1000.0, 1060.0]


def test_a_value_read_from_the_cache_keeps_its_own_age(monkeypatch):
    now = [2000.0]
    monkeypatch.setattr(fragments.time, "time", lambda: now[0])
    cache.set("m", (7, 1950.0))  # counted 50 s ago by another process
    assert fragments.kept_value("m", lambda: 8, seconds=60) == 7
    now[0] += 10
    assert fragments.kept_value("m", lambda: 8, seconds=60) == 8  # 60 s old: counted again
    cache.set("old", 5)  # a value of an older format: counted again
    assert fragments.kept_value("old", lambda: 6, seconds=60) == 6
