"""Which programmes a funder may see: the impact app's part of the access funnel.

Built on lms/accounts/access.py's people and funders; views and selectors fetch programmes
only through these functions.
"""

from lms.accounts.models import User

from .models import Programme


def programmes_for_funder(user: User):
    """Programmes financed by the funders the user belongs to."""
    return (
        Programme.objects.filter(funder__members=user)
        .select_related("funder")
        .prefetch_related("associations")
    )
