"""The site's settings, one module per kind of run (cookiecutter-django's shape):

- ``colorsite.settings.local``: the default of manage.py and wsgi.py; runs with no configuration.
- ``colorsite.settings.test``: pytest's (pytest.ini).
- ``colorsite.settings.production``: Elastic Beanstalk's (.ebextensions); refuses to start
  without its secrets.

All three start from ``base``, which reads every variable from the environment.
"""
