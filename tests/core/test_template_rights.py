"""In tests, a template naming a right its context lacks fails (tests/conftest.py): a typo never hides a button."""

import pytest
from django.template import Context, Template

from tests.conftest import UnknownRightInTemplate


def test_a_misspelt_right_fails_the_test():
    with pytest.raises(UnknownRightInTemplate):
        Template("{% if can_chnage %}x{% endif %}").render(Context({"can_change": True}))
    with pytest.raises(UnknownRightInTemplate):
        Template("{% if abilities.publsh %}x{% endif %}").render(Context({"abilities": {"publish": True}}))
    assert Template("{% if can_change %}x{% endif %}{{ other }}").render(Context({"can_change": True})) == "x"
