"""sync_tasks: the syncer that keeps the local copy in step with the API."""
