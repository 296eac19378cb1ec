from django.urls import path

from gallery.views import files, jobs, my_photos, public, uploads

app_name = "gallery"
urlpatterns = [
    path("", uploads.upload, name="upload"),
    path("jobs/<uuid:public_id>/", jobs.job_detail, name="job_detail"),
    path("jobs/<uuid:public_id>/status/", jobs.job_status, name="job_status"),
    path("jobs/<uuid:public_id>/retry/", jobs.job_retry, name="job_retry"),
    path("jobs/<uuid:public_id>/hints/", jobs.job_recolorize, name="job_recolorize"),
    path("jobs/<uuid:public_id>/vividness/", jobs.job_vividness, name="job_vividness"),
    path("jobs/<uuid:public_id>/variant/", jobs.job_variant, name="job_variant"),
    path("jobs/<uuid:public_id>/suggestions/", jobs.job_suggestions, name="job_suggestions"),
    path("jobs/<uuid:public_id>/gallery/", jobs.job_gallery, name="job_gallery"),
    path("jobs/<uuid:public_id>/delete/", jobs.job_delete, name="job_delete"),
    path("jobs/<uuid:public_id>/files/<str:kind>/<str:name>", files.job_file, name="job_file"),
    path("jobs/<uuid:public_id>/download/<str:kind>/<str:name>", files.job_download, name="job_download"),
    path("batches/<uuid:batch_id>/", uploads.batch_detail, name="batch_detail"),
    path("batches/<uuid:batch_id>/status/", uploads.batch_status, name="batch_status"),
    path("batches/<uuid:batch_id>/colorized-photos.zip", uploads.batch_download, name="batch_download"),
    path("my-photos/", my_photos.my_photos, name="my_photos"),
    path("gallery/", public.gallery, name="gallery"),
    path("gallery/<int:pk>/", public.gallery_detail, name="gallery_detail"),
    path("gallery/<int:pk>/files/<str:kind>/<str:name>", files.gallery_file, name="gallery_file"),
    path("gallery/<int:pk>/download/<str:kind>/<str:name>", files.gallery_download, name="gallery_download"),
]
