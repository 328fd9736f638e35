"""The composition root: settings -> concrete adapters -> use cases.

The only package that names concrete adapters. One module per kind of entry point, so that a
command loads only what it uses (``colibri check`` starts fast):

- :mod:`colibri.bootstrap.clients`: the Docker engine, the registry client, the store;
- :mod:`colibri.bootstrap.gate`: the update gate (criteria, scanners, signatures);
- :mod:`colibri.bootstrap.cli`: check, update, recover, history, scan, token;
- :mod:`colibri.bootstrap.serve`: the service (scheduler, API, notifications, metrics).
"""
