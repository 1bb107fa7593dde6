"""The REST API's shared parts (auth, errors, paging, limits, schema) and profiles' endpoints.

Each app keeps its own endpoints in its ``api`` module and imports only itself and lower
apps; ``influence/api_urls.py`` mounts them all under ``/api/v1/``.
"""
