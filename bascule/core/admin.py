from django.contrib import admin

from bascule.core.models import TaskRun


@admin.register(TaskRun)
class TaskRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["label", "kind", "owner", "status", "progress", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in TaskRun._meta.fields]
