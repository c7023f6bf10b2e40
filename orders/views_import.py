from django.http import Http404

from shopops.common import roles


@roles.area_required(roles.ORDERS)
def order_import(request):
    raise Http404("The marketplace order import is being built.")
