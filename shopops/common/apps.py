from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "shopops.common"
    label = "common"
    verbose_name = "Common"
