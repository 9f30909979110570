"""Template context: the roles of the signed-in person, for navigation."""

from .access import home_url_name, user_roles


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": set()}
    roles = user_roles(user, request.session)
    return {"user_roles": roles, "home_url_name": home_url_name(user, request.session)}
