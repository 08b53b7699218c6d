"""The test suite is strict: a warning or an invalid template variable fails the test."""

import warnings

import pytest


def test_a_warning_fails_the_test():
    with pytest.raises(DeprecationWarning):
        warnings.warn("an API going away", DeprecationWarning, stacklevel=1)
    with pytest.raises(ResourceWarning):
        warnings.warn("an unclosed file", ResourceWarning, stacklevel=1)
