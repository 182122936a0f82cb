from django.contrib import admin

from projects.models import Organization, Project, ProjectKey, Team, TeamMembership


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organization"]
    list_filter = ["organization"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TeamMembershipInline]


class ProjectKeyInline(admin.TabularInline):
    model = ProjectKey
    extra = 0
    fields = ["label", "public_key", "is_active", "created_at", "revoked_at", "events_per_minute", "events_per_hour"]
    readonly_fields = ["public_key", "created_at", "revoked_at"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "slug", "organization", "platform", "flood_cap_per_hour"]
    list_filter = ["organization", "platform"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["teams"]
    inlines = [ProjectKeyInline]


@admin.register(ProjectKey)
class ProjectKeyAdmin(admin.ModelAdmin):
    list_display = ["public_key", "project", "label", "is_active", "created_at", "revoked_at"]
    list_filter = ["is_active"]
    readonly_fields = ["public_key", "dsn", "created_at", "revoked_at"]
    actions = ["revoke_keys"]

    @admin.action(description="Revoke selected keys")
    def revoke_keys(self, request, queryset):
        for key in queryset.filter(is_active=True):
            key.revoke()
