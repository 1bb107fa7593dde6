"""The project's settings, with static files served through the finders (as the test
suite's live server does) instead of the hashed manifest, whose ``collectstatic`` takes
minutes here: for the 30-second smoke load test. The benchmark itself uses the project's
settings and the manifest."""

from influence.settings import *  # noqa: F403
from influence.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
