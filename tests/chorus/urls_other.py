"""A URL configuration for tests that override ROOT_URLCONF (tests/chorus/test_urltag.py)."""

urlpatterns: list = []
