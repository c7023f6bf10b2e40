"""The knowledge base: articles with answers in Chinese and English, the question variants that find them,
and every use of an answer (inserted by an agent or sent by the auto-reply)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shopops.common.models import TimeStampedModel


class ArticleCategory(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Article(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    category = models.ForeignKey(
        ArticleCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles"
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    answer_zh = models.TextField(_("answer (Chinese)"))
    answer_en = models.TextField(_("answer (English)"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)
    use_count = models.PositiveIntegerField(_("uses"), default=0)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["category__name", "code"]

    def __str__(self):
        return self.title_zh


class ArticleQuestion(models.Model):
    class Language(models.TextChoices):
        ZH = "zh", _("Chinese")
        EN = "en", _("English")

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="questions"
    )
    text = models.CharField(_("question"), max_length=300)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)

    class Meta:
        verbose_name = _("question variant")
        verbose_name_plural = _("question variants")
        ordering = ["article", "language", "id"]

    def __str__(self):
        return self.text


class ArticleUse(models.Model):
    class Kind(models.TextChoices):
        INSERTED = "inserted", _("Inserted by an agent")
        AUTO_REPLY = "auto_reply", _("Sent by the auto-reply")

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="uses"
    )
    ticket = models.ForeignKey(
        "service.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="article_uses"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    score = models.DecimalField(_("match score"), max_digits=7, decimal_places=4, null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL
    )
    used_at = models.DateTimeField(_("used at"))

    class Meta:
        verbose_name = _("article use")
        verbose_name_plural = _("article uses")
        ordering = ["-used_at"]

    def __str__(self):
        return f"{self.article_id} {self.ticket_id} {self.kind}"
