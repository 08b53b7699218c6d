"""The static files' storage of production (chorus/storage.py): whitenoise's URLs, each computed
once per process, forgotten when the manifest changes."""

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from chorus.storage import KeptManifestStaticFilesStorage

NAMES = ["admin/css/base.css", "chorus/admin.css", "fonts/x.woff2#iefix", "fonts/y.eot?#iefix", "img/", "a b.js"]


@pytest.fixture
def root(tmp_path):
    paths = {
        "admin/css/base.css": "admin/css/base.0123456789ab.css",
        "chorus/admin.css": "chorus/admin.ba9876543210.css",
        "fonts/x.woff2": "fonts/x.111111111111.woff2",
        "fonts/y.eot": "fonts/y.222222222222.eot",
        "a b.js": "a b.333333333333.js",
    }
    (tmp_path / "staticfiles.json").write_text(json.dumps({"paths": paths, "version": "1.1", "hash": "h"}))
    return tmp_path


def storages(root):
    return [
        cls(location=str(root), base_url="/static/")
        for cls in (KeptManifestStaticFilesStorage, CompressedManifestStaticFilesStorage)
    ]


def test_the_urls_are_whitenoises(root):
    kept, whitenoise = storages(root)
    for _ in range(2):
        assert [kept.url(name) for name in NAMES] == [whitenoise.url(name) for name in NAMES]
    assert kept.url("chorus/admin.css") == "/static/chorus/admin.ba9876543210.css"
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        kept.url("absent.css")
    with pytest.raises(ValueError):
        kept.url("absent.css")  # not kept


def test_each_url_is_computed_once(root, monkeypatch):
    kept, _whitenoise = storages(root)
    calls = []
    stored_name = kept.stored_name
    monkeypatch.setattr(kept, "stored_name", lambda name: calls.append(name) or stored_name(name))
    for _ in range(3):
        kept.url("chorus/admin.css")
    assert calls == ["chorus/admin.css"]


def test_a_new_manifest_forgets_the_urls(root):
    kept, _whitenoise = storages(root)
    assert kept.url("chorus/admin.css").endswith("admin.ba9876543210.css")
    kept.hashed_files = {"chorus/admin.css": "chorus/admin.cccccccccccc.css"}
    assert kept.url("chorus/admin.css").endswith("admin.cccccccccccc.css")
    kept.hashed_files["chorus/admin.css"] = "chorus/admin.dddddddddddd.css"  # grown in place
    kept.hashed_files["other.css"] = "other.eeeeeeeeeeee.css"
    assert kept.url("chorus/admin.css").endswith("admin.dddddddddddd.css")


def test_debug_and_force_are_djangos(root, settings):
    kept, whitenoise = storages(root)
    assert kept.url("chorus/admin.css", force=True) == whitenoise.url("chorus/admin.css", force=True)
    settings.DEBUG = True
    assert kept.url("chorus/admin.css") == whitenoise.url("chorus/admin.css") == "/static/chorus/admin.css"
