from django.urls import URLPattern

app_name = "mda"
# The page's URL is named "page"; until it exists the sidebar links to "not built yet".
urlpatterns: list[URLPattern] = []
