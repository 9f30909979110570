"""Form fields any app may use for text a person types: a search box, a name.

No keyboard types a NUL character, but a hand-made request may send one, and PostgreSQL
refuses it in text: a search or a save with it would answer a server error. Django's
CharField refuses it with an error message instead, which tells a person nothing they did;
text typed here simply loses it, in one place rather than in each view.
"""

from django import forms


class TypedTextField(forms.CharField):
    """Free text as typed: NUL characters dropped, spaces around it stripped, and cut to
    `cut_at` characters (a pasted page is searched by its start rather than refused)."""

    def __init__(self, *, cut_at: int | None = None, **kwargs):
        self.cut_at = cut_at
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("\x00", "")
        value = super().to_python(value)
        return value[: self.cut_at] if self.cut_at else value


class SearchForm(forms.Form):
    """A search box: `q` in the query string."""

    q = TypedTextField()

    def __init__(self, data, *, cut_at: int):
        super().__init__(data)
        self.fields["q"].cut_at = cut_at


def search_query(data, *, cut_at: int) -> str:
    """What a search box (`q` in `data`, a request's GET) asks for: "" when it asks nothing."""
    if not data.get("q"):
        # Most visits search nothing (the catalogue's every page): no form to build, which
        # copies its fields (about 2 % of the catalogue's CPU time, issue 21's bench).
        return ""
    form = SearchForm(data, cut_at=cut_at)
    return form.cleaned_data["q"] if form.is_valid() else ""
