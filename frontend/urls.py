from django.contrib.auth import views as auth_views
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from frontend import (
    account_views,
    alert_api,
    alert_views,
    api,
    grouping_views,
    key_views,
    login,
    test_event,
    triage_views,
    views,
)

urlpatterns = [
    path("accounts/login/", login.login, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    # Pages name their icon; this is for the clients that ask the conventional address without reading a page.
    path("favicon.ico", views.favicon),
    path("sdk/<str:filename>", views.sdk_wheel, name="sdk-wheel"),
    path("issues/", views.all_issues, name="all-issues"),
    path("issues/triage/", triage_views.triage_bulk, name="triage-issues"),
    path("issues/<int:issue_id>/", views.issue, name="issue"),
    path("issues/<int:issue_id>/triage/", triage_views.triage_issue, name="triage-issue"),
    path("issues/<int:issue_id>/events/<int:event_pk>/", views.issue, name="issue-event"),
    path("projects/<int:project_id>/issues/", views.project_issues, name="project-issues"),
    path("projects/<int:project_id>/settings/", views.project_settings, name="project-settings"),
    path("projects/<int:project_id>/test-event/", test_event.send_test_event, name="project-test-event"),
    path("projects/<int:project_id>/keys/", key_views.create_project_key, name="create-project-key"),
    path(
        "projects/<int:project_id>/grouping/upgrade/", grouping_views.upgrade_grouping, name="upgrade-project-grouping"
    ),
    path(
        "projects/<int:project_id>/keys/<int:key_id>/revoke/", key_views.revoke_project_key, name="revoke-project-key"
    ),
    path("account/", account_views.account, name="account"),
    path("account/alerts/", account_views.account_alerts, name="account-alerts"),
    path("projects/<int:project_id>/alerts/", alert_views.project_alerts, name="project-alerts"),
    path("projects/<int:project_id>/alerts/rules/new/", alert_views.rule_form, name="alert-rule-create"),
    path("projects/<int:project_id>/alerts/rules/<int:rule_id>/", alert_views.rule_form, name="alert-rule-edit"),
    path(
        "projects/<int:project_id>/alerts/rules/<int:rule_id>/delete/",
        alert_views.delete_rule,
        name="alert-rule-delete",
    ),
    path("projects/<int:project_id>/alerts/channels/new/", alert_views.channel_form, name="alert-channel-create"),
    path(
        "projects/<int:project_id>/alerts/channels/<int:channel_id>/",
        alert_views.channel_detail,
        name="alert-channel",
    ),
    path(
        "projects/<int:project_id>/alerts/channels/<int:channel_id>/edit/",
        alert_views.channel_form,
        name="alert-channel-edit",
    ),
    path(
        "projects/<int:project_id>/alerts/channels/<int:channel_id>/delete/",
        alert_views.delete_channel,
        name="alert-channel-delete",
    ),
    path(
        "projects/<int:project_id>/alerts/channels/<int:channel_id>/test/",
        alert_views.test_channel,
        name="alert-channel-test",
    ),
    path("api/ui/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script from a URL (?script) instead of inline, as the Content-Security-Policy requires.
    path(
        "api/ui/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="frontend/api_docs.html"),
        name="api-docs",
    ),
    path("api/ui/issues/", api.IssueList.as_view(), name="api-issues"),
    path("api/ui/issues/triage/", api.BulkTriage.as_view(), name="api-triage-issues"),
    path("api/ui/issues/<int:issue_id>/", api.IssueDetail.as_view(), name="api-issue"),
    path("api/ui/issues/<int:issue_id>/triage/", api.IssueTriage.as_view(), name="api-triage-issue"),
    path("api/ui/issues/<int:issue_id>/events/<int:event_pk>/", api.EventDetail.as_view(), name="api-event"),
    path("api/ui/projects/<int:project_id>/alert-rules/", alert_api.RuleList.as_view(), name="api-alert-rules"),
    path(
        "api/ui/projects/<int:project_id>/alert-rules/<int:rule_id>/",
        alert_api.RuleDetail.as_view(),
        name="api-alert-rule",
    ),
    path(
        "api/ui/projects/<int:project_id>/alert-channels/",
        alert_api.ChannelList.as_view(),
        name="api-alert-channels",
    ),
    path(
        "api/ui/projects/<int:project_id>/alert-channels/<int:channel_id>/",
        alert_api.ChannelDetail.as_view(),
        name="api-alert-channel",
    ),
    path(
        "api/ui/projects/<int:project_id>/alert-channels/<int:channel_id>/test/",
        alert_api.ChannelTest.as_view(),
        name="api-alert-channel-test",
    ),
    path(
        "api/ui/projects/<int:project_id>/alert-channels/<int:channel_id>/deliveries/",
        alert_api.ChannelDeliveries.as_view(),
        name="api-alert-channel-deliveries",
    ),
]
