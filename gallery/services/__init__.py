"""Writes: everything that creates or changes a colorization job, split by who calls it.

- ``web``: the web tier's writes (upload, re-colorize, retry, gallery opt-in, delete).
- ``moderation``: the admin's bulk actions (approve, hide, re-run, delete).
- ``worker``: the worker's run of one job (``gallery.tasks`` calls it).
- ``sweep``: the worker command's periodic hand-back of lost jobs.
- ``queue``: enqueueing a job's task (for ``web`` and ``sweep``); ``files``: deleting stored
  files (for all of them). Both are internal helpers.

Imports point one way: web/moderation/sweep -> queue -> gallery.tasks -> worker -> files.
Nothing here imports a module that imports it back.
"""
