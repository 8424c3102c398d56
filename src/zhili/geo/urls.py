from django.urls import path

from zhili.geo import views

app_name = "geo"

urlpatterns = [
    path("map/", views.grid_map, name="map"),
    path("grids/<str:code>/", views.grid_card_page, name="grid_card"),
    path("addresses/", views.address_search, name="address_search"),
    path("import/", views.area_import, name="import"),
    path("export.geojson", views.area_export, name="export"),
]
