"""The task list over the Integration API: its views, client, exports and saved views."""
