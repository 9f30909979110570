"""Nothing of a person stays in the browser after they sign out (a shared device).

Whatever signs a person out (the sign-out button, the end of a session a trainer opened,
a card of someone else), the response asks the browser to delete what this site keeps in
it: the pages the offline worker kept (static/js/sw.js), the answers waiting to be sent,
and the worker itself. The sign-in pages also tell a worker still there to forget
(static/js/offline.js), for browsers that do not know the header.
"""

from django.contrib.auth.signals import user_logged_out

CLEAR_SITE_DATA = '"cache", "storage"'


def signed_out(sender, request, **kwargs):
    if request is not None:
        request.pasapas_signed_out = True


def sign_out_connect():
    user_logged_out.connect(signed_out, dispatch_uid="pasapas-signed-out")


class SignOutClearsSiteDataMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "pasapas_signed_out", False):
            response["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response
