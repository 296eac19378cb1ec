"""A page of the browser tests whose browser owns jobs made outside it, as uploading them would
have: its session's My photos list (gallery.mine) holds them, so their pages show the owner's
controls and let it change them. The set-up of the page is colorsite.testing.browser's."""

from importlib import import_module

from django.conf import settings

from colorsite.testing.browser import new_page
from gallery import mine


def remembered_by_a_new_browser(browser, live_server, jobs, **context_options):
    """A page (``new_page``'s, with ``context_options``) whose browser's session remembers
    ``jobs``, the last of them the newest, and so owns them."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[mine.SESSION_KEY] = [str(job.public_id) for job in reversed(jobs)]
    session.create()
    page = new_page(browser, live_server, **context_options)
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}
    page.context.add_cookies([cookie])
    return page
