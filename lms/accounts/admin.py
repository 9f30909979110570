"""Django admin for people, associations and funders (superusers only)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Association, Funder, Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["association"]


@admin.register(User)
class PersonAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "display_name", "is_staff", "is_superuser"]
    fieldsets = (*UserAdmin.fieldsets, (None, {"fields": ["display_name", "preferred_language"]}))


@admin.register(Association)
class AssociationAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "region"]
    search_fields = ["name", "municipality", "postcode"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Funder)
class FunderAdmin(admin.ModelAdmin):
    filter_horizontal = ["members"]
