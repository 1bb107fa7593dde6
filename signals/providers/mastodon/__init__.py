"""Mastodon as an allauth provider, on any instance.

allauth has no Mastodon provider, and every instance is its own OAuth server. The member
types their instance; on first use we register an OAuth client there (POST /api/v1/apps)
and keep it per instance (`MastodonApp`). Then the normal authorization-code flow runs,
with the authorize and token URLs of that instance, for sign-in and for connecting.
"""
