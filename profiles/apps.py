from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "People and consent"
    default_auto_field = "django.db.models.BigAutoField"
