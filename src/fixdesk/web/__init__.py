"""The web app: server-rendered pages for staff (``/app``) and customers (``/portal``) over the same
services as the API (DESIGN.md, "Web app").

* :mod:`fixdesk.web.install`: :func:`~fixdesk.web.install.install_web` adds everything to the FastAPI app.
* :mod:`fixdesk.web.pages`: how an area registers its pages and menu entries (:class:`WebPages`).
* :mod:`fixdesk.web.templating`: the shared Jinja2 environment and ``render()``.
* :mod:`fixdesk.web.i18n`: English and Portuguese, dates and money by Babel.
* :mod:`fixdesk.web.assets`: ``/static`` and the vendored libraries (``scripts/vendor-assets``).
* :mod:`fixdesk.web.security`: the pages' Content-Security-Policy and other headers.
* :mod:`fixdesk.web.errors`: HTML error pages for browser requests.
* :mod:`fixdesk.web.docs`: ``/docs`` and ``/redoc`` from local files.
* One module per area, with its templates in ``templates/<area>/``: :mod:`fixdesk.web.staff`,
  :mod:`fixdesk.web.portal`.
"""
