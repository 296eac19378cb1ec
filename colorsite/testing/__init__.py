"""What the tests of gallery, api and colorsite share: ``fixtures`` (the one pytest plugin,
registered by the root conftest.py), ``helpers`` (plain functions and classes the tests call),
``browser`` (Playwright's set-up for the browser tests) and ``axe`` (the accessibility check).
No test module imports fixtures from another."""
