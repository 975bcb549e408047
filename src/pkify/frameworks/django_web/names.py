"""Qualified names of Django's views, forms, admin, signals and requests."""

from __future__ import annotations

# --- Signals -------------------------------------------------------------------------------------

INSTANCE_SIGNALS = frozenset(
    {
        "django.db.models.signals.pre_save",
        "django.db.models.signals.post_save",
        "django.db.models.signals.pre_delete",
        "django.db.models.signals.post_delete",
        "django.db.models.signals.post_init",
    }
)
# `instance` is the object whose relation changed; `sender` is the through model.
M2M_CHANGED = frozenset({"django.db.models.signals.m2m_changed"})
# Sent with `user=`, the user instance.
USER_SIGNALS = frozenset(
    {
        "django.contrib.auth.signals.user_logged_in",
        "django.contrib.auth.signals.user_logged_out",
    }
)
RECEIVER_DECORATORS = frozenset({"django.dispatch.receiver", "django.dispatch.dispatcher.receiver"})
# A project's own signals are instances of these.
SIGNAL_CLASSES = frozenset(
    {"django.dispatch.Signal", "django.dispatch.dispatcher.Signal", "django.db.models.signals.ModelSignal"}
)
SEND_METHODS = frozenset({"send", "send_robust", "asend", "asend_robust"})
# What a receiver's parameters are named after, which the sender does not pass as a keyword.
RECEIVER_OWN = frozenset({"sender", "signal", "self", "cls"})

# --- Views, forms, serializers, admin ------------------------------------------------------------

SINGLE_OBJECT_VIEWS = frozenset(
    {
        "django.views.generic.DetailView",
        "django.views.generic.UpdateView",
        "django.views.generic.DeleteView",
        "django.views.generic.CreateView",
        "django.views.generic.detail.DetailView",
        "django.views.generic.detail.SingleObjectMixin",
        "django.views.generic.detail.BaseDetailView",
        "django.views.generic.detail.SingleObjectTemplateResponseMixin",
        "django.views.generic.edit.UpdateView",
        "django.views.generic.edit.DeleteView",
        "django.views.generic.edit.CreateView",
        "django.views.generic.edit.BaseUpdateView",
        "django.views.generic.edit.BaseDeleteView",
        "django.views.generic.edit.BaseCreateView",
        "django.views.generic.edit.ModelFormMixin",
        "django.views.generic.edit.DeletionMixin",
    }
)
MULTIPLE_OBJECT_VIEWS = frozenset(
    {
        "django.views.generic.ListView",
        "django.views.generic.list.ListView",
        "django.views.generic.list.BaseListView",
        "django.views.generic.list.MultipleObjectMixin",
        "django.views.generic.dates.BaseDateListView",
        "django.views.generic.ArchiveIndexView",
        "django.views.generic.YearArchiveView",
        "django.views.generic.MonthArchiveView",
        "django.views.generic.DayArchiveView",
    }
)
MODEL_FORM_VIEWS = frozenset(
    {
        "django.views.generic.UpdateView",
        "django.views.generic.CreateView",
        "django.views.generic.edit.UpdateView",
        "django.views.generic.edit.CreateView",
        "django.views.generic.edit.BaseUpdateView",
        "django.views.generic.edit.BaseCreateView",
        "django.views.generic.edit.ModelFormMixin",
    }
)
HTTP_REQUESTS = frozenset(
    {
        "django.http.HttpRequest",
        "django.http.request.HttpRequest",
        "django.core.handlers.wsgi.WSGIRequest",
        "django.core.handlers.asgi.ASGIRequest",
    }
)
# Standard library classes Django's modules re-export (`timezone.timedelta(days=1)`).
REEXPORTED_CLASSES = {"django.utils.timezone.timedelta": "datetime.timedelta"}
UPLOADED_FILES = frozenset(
    {
        "django.core.files.uploadedfile.UploadedFile",
        "django.core.files.uploadedfile.InMemoryUploadedFile",
        "django.core.files.uploadedfile.TemporaryUploadedFile",
        "django.core.files.uploadedfile.SimpleUploadedFile",
    }
)
MODEL_FORMS = frozenset({"django.forms.ModelForm", "django.forms.models.ModelForm"})
FORMS = frozenset({"django.forms.Form", "django.forms.forms.Form", "django.forms.BaseForm", "django.forms.forms.BaseForm"})
FORM_VIEWS = frozenset(
    {
        "django.views.generic.FormView",
        "django.views.generic.edit.FormView",
        "django.views.generic.edit.BaseFormView",
        "django.views.generic.edit.FormMixin",
    }
)
# Form fields whose cleaned value is a row (`ModelChoiceField`) or rows (`ModelMultipleChoiceField`).
MODEL_CHOICE_FIELDS = frozenset({"django.forms.ModelChoiceField", "django.forms.models.ModelChoiceField"})
MODEL_MULTIPLE_CHOICE_FIELDS = frozenset(
    {"django.forms.ModelMultipleChoiceField", "django.forms.models.ModelMultipleChoiceField"}
)
MODEL_ADMINS = frozenset(
    {
        "django.contrib.admin.ModelAdmin",
        "django.contrib.admin.options.ModelAdmin",
        "django.contrib.gis.admin.GISModelAdmin",
        "django.contrib.gis.admin.OSMGeoAdmin",
    }
)
ADMIN_REGISTER = frozenset({"django.contrib.admin.register", "django.contrib.admin.decorators.register"})
ADMIN_SITE_REGISTER = frozenset({"django.contrib.admin.site.register"})
ADMIN_ACTION = frozenset({"django.contrib.admin.action", "django.contrib.admin.decorators.action"})
# ModelAdmin methods whose `obj` parameter is the model instance being edited (not the
# `obj=None` of the permission and form hooks, which may be None).
ADMIN_OBJ_METHODS = frozenset(
    {"save_model", "delete_model", "response_add", "response_change", "log_addition", "log_change", "log_deletion"}
)
# ModelAdmin methods whose `form` parameter is the bound ModelForm of the object.
ADMIN_FORM_METHODS = frozenset({"save_model", "save_related", "save_form", "save_formset"})

# --- Transactions around requests -------------------------------------------------------------

# Classes whose methods run while a request is handled (Django's and DRF's views, viewsets).
VIEW_CLASSES = frozenset(
    {
        "django.views.View",
        "django.views.generic.View",
        "django.views.generic.base.View",
        "rest_framework.views.APIView",
        "rest_framework.viewsets.ViewSetMixin",
        "rest_framework.viewsets.ViewSet",
        "rest_framework.viewsets.GenericViewSet",
        "rest_framework.viewsets.ModelViewSet",
        "rest_framework.viewsets.ReadOnlyModelViewSet",
        "rest_framework.generics.GenericAPIView",
    }
)
NON_ATOMIC_REQUESTS = frozenset({"django.db.transaction.non_atomic_requests"})
METHOD_DECORATOR = frozenset({"django.utils.decorators.method_decorator"})
