"""Thin views, by what they are about: ``uploads`` (the upload page and its batches), ``jobs``
(a job's page and what its owner does there), ``files`` (the pictures and downloads),
``my_photos`` and ``public`` (the public gallery); ``common`` holds what they share. Each parses
the request, calls a service (``gallery.services``) or a selector (``gallery.selectors``) and
renders."""
