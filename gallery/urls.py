from django.urls import path

from gallery import views

app_name = "gallery"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("jobs/<uuid:public_id>/", views.job_detail, name="job_detail"),
    path("jobs/<uuid:public_id>/status/", views.job_status, name="job_status"),
    path("jobs/<uuid:public_id>/retry/", views.job_retry, name="job_retry"),
    path("jobs/<uuid:public_id>/hints/", views.job_recolorize, name="job_recolorize"),
    path("jobs/<uuid:public_id>/vividness/", views.job_vividness, name="job_vividness"),
    path("jobs/<uuid:public_id>/variant/", views.job_variant, name="job_variant"),
    path("jobs/<uuid:public_id>/suggestions/", views.job_suggestions, name="job_suggestions"),
    path("jobs/<uuid:public_id>/gallery/", views.job_gallery, name="job_gallery"),
    path("jobs/<uuid:public_id>/delete/", views.job_delete, name="job_delete"),
    path("jobs/<uuid:public_id>/files/<str:kind>/<str:name>", views.job_file, name="job_file"),
    path("jobs/<uuid:public_id>/download/<str:kind>/<str:name>", views.job_download, name="job_download"),
    path("batches/<uuid:batch_id>/", views.batch_detail, name="batch_detail"),
    path("batches/<uuid:batch_id>/status/", views.batch_status, name="batch_status"),
    path("batches/<uuid:batch_id>/colorized-photos.zip", views.batch_download, name="batch_download"),
    path("my-photos/", views.my_photos, name="my_photos"),
    path("gallery/", views.gallery, name="gallery"),
    path("gallery/<int:pk>/", views.gallery_detail, name="gallery_detail"),
    path("gallery/<int:pk>/files/<str:kind>/<str:name>", views.gallery_file, name="gallery_file"),
    path("gallery/<int:pk>/download/<str:kind>/<str:name>", views.gallery_download, name="gallery_download"),
]
