"""A tiny OpenID Connect provider (allauth.idp.oidc) that the browser tests sign up through.

It is its own Django project with its own SQLite file, started as a subprocess on a second
port by ``tests/idp/server.py``; Influence knows it only through ``OIDC_PROVIDERS``.
"""
