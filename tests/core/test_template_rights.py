"""In tests, a template naming what its context lacks fails (tests/conftest.py): a typo never hides a button."""

import pytest
from django.template import Context, Template

from tests.conftest import UnknownRightInTemplate


def test_a_misspelt_right_fails_the_test():
    with pytest.raises(UnknownRightInTemplate):
        Template("{% if can_chnage %}x{% endif %}").render(Context({"can_change": True}))
    with pytest.raises(UnknownRightInTemplate):
        Template("{% if abilities.publsh %}x{% endif %}").render(Context({"abilities": {"publish": True}}))
    assert Template("{% if can_change %}x{% endif %}{{ other }}").render(Context({"can_change": True})) == "x"


def test_an_unknown_variable_or_attribute_in_a_bascule_template_fails(client, base_world):
    from django.template import engines

    from tests.conftest import UnknownTemplateVariable

    template = engines["django"].from_string("{{ structure.nmae }}")
    template.template.origin.name = "/work/bascule/organisation/templates/x.html"  # as if it were one of ours
    with pytest.raises(UnknownTemplateVariable):
        template.render({"structure": base_world.bretagne})
    typo = engines["django"].from_string("{% if titel %}x{% endif %}")
    typo.template.origin.name = "/work/bascule/organisation/templates/y.html"
    with pytest.raises(UnknownTemplateVariable):
        typo.render({"title": "t"})
    root = engines["django"].from_string("{{ s.parent.code }}")  # None on the way: fine
    root.template.origin.name = "/work/bascule/organisation/templates/z.html"
    assert root.render({"s": base_world.root}) == ""
