"""Writes: everything that creates or changes a colorization job, split by who calls it.

- ``web``: the web tier's writes (upload, re-colorize, retry, gallery opt-in, delete) and the
  queue caps that guard them.
- ``moderation``: the admin's bulk actions (approve, hide, re-run, delete).
- ``worker``: the worker's run of one job (``gallery.tasks`` calls it), with its heartbeat.
- ``sweep``: the worker command's periodic chores: lost jobs, retention, upload spool.
- ``queue``: enqueueing a job's task and ending lost task rows (for ``web`` and ``sweep``);
  ``files``: reading a stored original back, deleting stored files (for all of them). Both
  are internal helpers.

Imports point one way: moderation/sweep -> web -> queue -> gallery.tasks -> worker -> files.
Nothing here imports a module that imports it back.
"""
