"""The local copy of the tasks, kept in step with the Integration API by `sync_tasks`."""
