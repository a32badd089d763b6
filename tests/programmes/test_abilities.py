"""The ability matrix of programme steering: role × action × own / other perimeter, written out by hand."""

from __future__ import annotations

import pytest

from bascule.programmes.models import Action, Programme, Workstream

T, F = True, False
# object → ability → expected per user (national, lead_bzh, referent_29, reader_bzh, lead_nor, nobody)
USERS = ["national", "lead_bzh", "referent_29", "reader_bzh", "lead_nor", "nobody"]
MATRIX = {
    "action_bzh": {
        "view": (T, T, F, T, F, F),
        "change": (T, T, F, F, F, F),
        "add_progress": (T, T, F, F, F, F),
    },
    "action_nor": {
        "view": (T, F, F, F, T, F),
        "change": (T, F, F, F, T, F),
        "add_progress": (T, F, F, F, T, F),
    },
    "action_national": {"view": (T, T, T, T, T, F), "change": (T, F, F, F, F, F)},
    "workstream_bzh": {
        "view": (T, T, F, T, F, F),
        "change": (T, T, F, F, F, F),
        "validate": (T, F, F, F, F, F),
    },
    "workstream_nor": {"view": (T, F, F, F, T, F), "change": (T, F, F, F, T, F)},
    "programme": {
        "view": (T, T, T, T, T, F),
        "change": (T, F, F, F, F, F),
        "import_actions": (T, F, F, F, F, F),
        "add_action": (T, F, F, F, F, F),
        # instancing creates workstreams where one may edit (a department referent: in its department)
        "instantiate": (T, T, T, F, T, F),
    },
}


def _object(world, name):
    if name.startswith("action_"):
        return Action.objects.get(
            code={"action_bzh": "2-1", "action_nor": "3-1", "action_national": "1-1"}[name]
        )
    if name.startswith("workstream_"):
        region = world.bretagne if name.endswith("bzh") else world.normandie
        return Workstream.objects.filter(structure=region).first()
    return Programme.objects.get(code="CHORUS")


CASES = [
    (obj, ability, user, expected[i])
    for obj, abilities in MATRIX.items()
    for ability, expected in abilities.items()
    for i, user in enumerate(USERS)
]


@pytest.mark.parametrize(
    ("obj", "ability", "user", "expected"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES]
)
def test_programme_ability_matrix(world, obj, ability, user, expected):
    assert _object(world, obj).get_abilities(getattr(world, user))[ability] is expected
