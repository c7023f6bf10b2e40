"""Which HTTP methods a page takes: GET, HEAD and POST. Anything else is 405, before the view runs.

Pages (function views and Django's own) read request.method loosely: many render their form for anything but a
POST, and a few treat anything but a GET as a submission. So a PUT, PATCH, DELETE or OPTIONS never reaches
them: PageMethodsMiddleware answers 405 (`Allow: GET, HEAD, POST`) to every signed-in user whatever their
role; the anonymous are sent to the login page first (LoginRequiredMiddleware runs before it).

The REST API (Django REST framework views: their callback carries `.cls`) decides its own methods and is
left alone.
"""

from django.http import HttpResponseNotAllowed

PAGE_METHODS = ("GET", "HEAD", "POST")


class PageMethodsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in PAGE_METHODS or hasattr(view_func, "cls"):
            return None
        return HttpResponseNotAllowed(PAGE_METHODS)
