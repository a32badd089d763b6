"""Background tasks of the core: thin, they receive an id and call a service."""

from django_tasks import task

from bascule.core.taskruns import taskrun_execute


@task()
def execute_taskrun(taskrun_id: str) -> None:
    taskrun_execute(taskrun_id=taskrun_id)
