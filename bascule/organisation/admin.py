from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from bascule.organisation.models import Assignment, Person, Structure


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    """Writes go through the application's services (perimeter, tree paths, history author), never the admin."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Structure)
class StructureAdmin(ReadOnlyHistoryAdmin):
    list_display = ["code", "name", "kind", "region", "department", "valid_from", "valid_to"]
    list_filter = ["kind", "region"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(Person)
class PersonAdmin(ReadOnlyHistoryAdmin):
    list_display = ["last_name", "first_name", "email", "structure", "category"]
    search_fields = ["last_name", "first_name", "email"]
    raw_id_fields = ["structure", "ministry_of_origin", "user"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["person", "role", "structure", "start_date", "end_date"]
    list_filter = ["role"]
    raw_id_fields = ["person", "structure"]
