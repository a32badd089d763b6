"""Bounded text: every text a user can send has a maximum length, checked by the model's validation too.

Django only renders a TextField's `max_length` in forms; `BoundedTextField` also validates it in `full_clean()`, so
the services (the one write path) refuse an oversized text whatever sent it, with Django's French message.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.functional import cached_property

TEXT_MAX = 10_000  # a long narrative (progress, minutes); a spreadsheet cell holds at most 32,767
SEARCH_MAX = 200  # a search box


class BoundedTextField(models.TextField):  # type: ignore[type-arg]
    def __init__(self, *args: Any, max_length: int = TEXT_MAX, **kwargs: Any) -> None:
        kwargs["max_length"] = max_length
        super().__init__(*args, **kwargs)

    @cached_property
    def validators(self) -> list[Any]:
        return [*super().validators, MaxLengthValidator(self.max_length)]
