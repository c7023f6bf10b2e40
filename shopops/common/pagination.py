"""Pagination for server-rendered lists: every list is paginated."""

from django.core.paginator import Paginator

DEFAULT_PAGE_SIZE = 50


def paginate(request, queryset, *, per_page: int = DEFAULT_PAGE_SIZE):
    """Return the requested page of `queryset` (invalid or out-of-range numbers give the nearest page)."""
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def querystring_without_page(request) -> str:
    """The current query string minus `page`, for building page links that keep the filters."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
