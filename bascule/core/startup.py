"""What a server process does once Django is loaded, before its first request.

A request that reads thousands of rows allocates tens of thousands of small objects, and Python's cyclic garbage
collector then walks, every few such requests, every object alive in the process: the hundred thousand objects of
Django, the modules and the URL map, which never die. Measured on the national dashboard (bench/README.md): about
one request in two paid 60-70 ms for that walk. `settle` loads every view module now, then freezes what exists
(`gc.freeze`): the collector stops walking it, and freed request objects are collected as before.
"""

from __future__ import annotations

import gc

from django.urls import get_resolver


def settle() -> int:
    """Load the URL map (and so every view module), collect once, freeze the survivors; returns how many."""
    get_resolver().url_patterns  # noqa: B018 — imports every module the URL map names
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
