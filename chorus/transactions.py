"""A transaction around each unsafe request (POST, PUT, PATCH, DELETE), none around GET and HEAD.

``ATOMIC_REQUESTS`` wrapped every request, reads included, in BEGIN … COMMIT: two round trips and
a transaction per page view (issue 14 measured it among the per-request overheads of the
workspace pages). A safe request must not change anything that needs rolling back; the few reads
that also note something (the outcome of staff requests shown once) write a single statement,
committed on its own. An unsafe request keeps exactly what ``ATOMIC_REQUESTS`` gave it: the view
runs in one transaction, rolled back if it raises, and a view decorated with
``transaction.non_atomic_requests`` is left alone.

Last in ``MIDDLEWARE``: the other middlewares' ``process_view`` (CSRF first) run before the
transaction opens.
"""

from django.db import DEFAULT_DB_ALIAS, transaction

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class AtomicUnsafeRequestsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS:
            return None
        if DEFAULT_DB_ALIAS in getattr(view_func, "_non_atomic_requests", set()):
            return None
        with transaction.atomic():
            return view_func(request, *view_args, **view_kwargs)
