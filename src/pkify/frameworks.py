"""What pkify knows about the Django, Django REST framework and Celery APIs.

Everything here is a fully qualified name or a method name, matched against names that the
project index has resolved; nothing is matched on the spelling at the call site alone.
"""

from __future__ import annotations

# --- Django models -------------------------------------------------------------------------------

MODEL_ROOTS = frozenset(
    {
        "django.db.models.Model",
        "django.db.models.base.Model",
        "django.contrib.auth.models.AbstractUser",
        "django.contrib.auth.models.AbstractBaseUser",
        "django.contrib.auth.base_user.AbstractBaseUser",
        "django.contrib.auth.models.PermissionsMixin",
        "django.contrib.sessions.base_session.AbstractBaseSession",
        "django.contrib.sites.models.Site",
    }
)

# Django's own concrete models, with the relation fields a task argument could hop through.
# kind: "fk" (ForeignKey / OneToOne: an instance) or "m2m" (a related manager).
BUILTIN_MODELS: dict[str, dict[str, tuple[str, str]]] = {
    "django.contrib.auth.models.User": {
        "groups": ("m2m", "django.contrib.auth.models.Group"),
        "user_permissions": ("m2m", "django.contrib.auth.models.Permission"),
    },
    "django.contrib.auth.models.Group": {
        "permissions": ("m2m", "django.contrib.auth.models.Permission"),
    },
    "django.contrib.auth.models.Permission": {
        "content_type": ("fk", "django.contrib.contenttypes.models.ContentType"),
    },
    "django.contrib.contenttypes.models.ContentType": {},
    "django.contrib.sites.models.Site": {},
    "django.contrib.sessions.models.Session": {},
    "django.contrib.admin.models.LogEntry": {
        "user": ("fk", "<user>"),
        "content_type": ("fk", "django.contrib.contenttypes.models.ContentType"),
    },
    "django.contrib.flatpages.models.FlatPage": {
        "sites": ("m2m", "django.contrib.sites.models.Site"),
    },
    "django.contrib.redirects.models.Redirect": {
        "site": ("fk", "django.contrib.sites.models.Site"),
    },
}

# Fields inherited from Django's abstract bases.
BUILTIN_BASE_FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "django.contrib.auth.models.PermissionsMixin": {
        "groups": ("m2m", "django.contrib.auth.models.Group"),
        "user_permissions": ("m2m", "django.contrib.auth.models.Permission"),
    },
    "django.contrib.auth.models.AbstractUser": {
        "groups": ("m2m", "django.contrib.auth.models.Group"),
        "user_permissions": ("m2m", "django.contrib.auth.models.Permission"),
    },
}

BUILTIN_LABELS = {
    "django.contrib.auth.models.User": "auth.User",
    "django.contrib.auth.models.Group": "auth.Group",
    "django.contrib.auth.models.Permission": "auth.Permission",
    "django.contrib.contenttypes.models.ContentType": "contenttypes.ContentType",
    "django.contrib.sites.models.Site": "sites.Site",
    "django.contrib.sessions.models.Session": "sessions.Session",
    "django.contrib.admin.models.LogEntry": "admin.LogEntry",
    "django.contrib.flatpages.models.FlatPage": "flatpages.FlatPage",
    "django.contrib.redirects.models.Redirect": "redirects.Redirect",
}

DEFAULT_USER_MODEL = "django.contrib.auth.models.User"
GET_USER_MODEL = frozenset({"django.contrib.auth.get_user_model"})
GET_MODEL = frozenset({"django.apps.apps.get_model", "django.apps.registry.apps.get_model"})
AUTH_USER_MODEL_SETTING = frozenset({"django.conf.settings.AUTH_USER_MODEL"})

# Names that end one of these suffixes are not models, even when imported from a `*.models`
# module (`django_countries.fields`, `model_utils.models.StatusField`, ...).
NOT_MODEL_SUFFIXES = (
    "Manager",
    "QuerySet",
    "Field",
    "Choices",
    "Enum",
    "Lookup",
    "Transform",
    "Func",
    "Expression",
    "Form",
    "Serializer",
    "Admin",
    "Exception",
    "Error",
    "Descriptor",
    "Index",
    "Constraint",
)

FOREIGN_KEY_FIELDS = frozenset(
    {"ForeignKey", "OneToOneField", "TreeForeignKey", "TreeOneToOneField", "ParentalKey"}
)
MANY_TO_MANY_FIELDS = frozenset(
    {"ManyToManyField", "ParentalManyToManyField", "TreeManyToManyField", "SortedManyToManyField"}
)
GENERIC_FOREIGN_KEY = frozenset(
    {
        "django.contrib.contenttypes.fields.GenericForeignKey",
        "django.contrib.contenttypes.generic.GenericForeignKey",
    }
)
GENERIC_RELATION = frozenset(
    {
        "django.contrib.contenttypes.fields.GenericRelation",
        "django.contrib.contenttypes.generic.GenericRelation",
    }
)

MANAGER_ROOTS = frozenset(
    {
        "django.db.models.Manager",
        "django.db.models.manager.Manager",
        "django.db.models.manager.BaseManager",
        "django.contrib.auth.models.UserManager",
        "django.contrib.auth.base_user.BaseUserManager",
        "django.contrib.auth.models.BaseUserManager",
    }
)
QUERYSET_ROOTS = frozenset({"django.db.models.QuerySet", "django.db.models.query.QuerySet"})
QUERYSET_ANNOTATIONS = QUERYSET_ROOTS | frozenset(
    {"django.db.models.Manager", "django.db.models.manager.Manager"}
)

# Manager and queryset methods, by what they return.
INSTANCE_METHODS = frozenset(
    {"get", "create", "first", "last", "latest", "earliest"}
    | {"aget", "acreate", "afirst", "alast", "alatest", "aearliest"}
    # Django's own managers: ContentType, Site, User, natural keys
    | {"get_for_model", "get_for_id", "get_current", "create_user", "create_superuser"}
    | {"get_by_natural_key", "acreate_user", "acreate_superuser"}
)
INSTANCE_AND_FLAG_METHODS = frozenset(
    {"get_or_create", "update_or_create", "aget_or_create", "aupdate_or_create"}
)
QUERYSET_METHODS = frozenset(
    {
        "all",
        "filter",
        "exclude",
        "order_by",
        "select_related",
        "prefetch_related",
        "annotate",
        "alias",
        "distinct",
        "reverse",
        "defer",
        "only",
        "using",
        "select_for_update",
        "none",
        "union",
        "intersection",
        "difference",
        "extra",
        "complex_filter",
        "get_queryset",
    }
)
VALUES_METHODS = frozenset({"values", "values_list", "dates", "datetimes"})
INSTANCE_LIST_METHODS = frozenset({"bulk_create", "abulk_create"})
INSTANCE_ITERATOR_METHODS = frozenset({"iterator", "aiterator"})
IN_BULK_METHODS = frozenset({"in_bulk", "ain_bulk"})

GET_OBJECT_OR_404 = frozenset({"django.shortcuts.get_object_or_404", "rest_framework.generics.get_object_or_404"})
GET_LIST_OR_404 = frozenset({"django.shortcuts.get_list_or_404"})
AGET_OBJECT_OR_404 = frozenset({"django.shortcuts.aget_object_or_404"})
AGET_LIST_OR_404 = frozenset({"django.shortcuts.aget_list_or_404"})

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
DRF_GENERIC_VIEWS = frozenset(
    {
        "rest_framework.generics.GenericAPIView",
        "rest_framework.generics.RetrieveAPIView",
        "rest_framework.generics.UpdateAPIView",
        "rest_framework.generics.DestroyAPIView",
        "rest_framework.generics.CreateAPIView",
        "rest_framework.generics.ListCreateAPIView",
        "rest_framework.generics.RetrieveUpdateAPIView",
        "rest_framework.generics.RetrieveDestroyAPIView",
        "rest_framework.generics.RetrieveUpdateDestroyAPIView",
        "rest_framework.viewsets.GenericViewSet",
        "rest_framework.viewsets.ModelViewSet",
        "rest_framework.viewsets.ReadOnlyModelViewSet",
    }
)
HTTP_REQUESTS = frozenset(
    {
        "django.http.HttpRequest",
        "django.http.request.HttpRequest",
        "django.core.handlers.wsgi.WSGIRequest",
        "django.core.handlers.asgi.ASGIRequest",
        "rest_framework.request.Request",
    }
)
MODEL_FORMS = frozenset({"django.forms.ModelForm", "django.forms.models.ModelForm"})
MODEL_SERIALIZERS = frozenset(
    {
        "rest_framework.serializers.ModelSerializer",
        "rest_framework.serializers.HyperlinkedModelSerializer",
    }
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
ADMIN_FORM_METHODS = frozenset({"save_model", "save_related", "save_form"})

# --- Celery --------------------------------------------------------------------------------------

CELERY_APP_CLASSES = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})
CELERY_CURRENT_APP = frozenset({"celery.current_app", "celery.app.current_app"})
TASK_DECORATORS = frozenset(
    {"celery.shared_task", "celery.task", "celery.app.shared_task", "celery.decorators.task"}
)
TASK_CLASSES = frozenset({"celery.Task", "celery.app.task.Task", "celery.task.Task"})
SIGNATURE_FUNCTIONS = frozenset(
    {"celery.signature", "celery.canvas.signature", "celery.subtask", "celery.Signature", "celery.canvas.Signature"}
)
PARTIAL = frozenset({"functools.partial"})

# Decorators that leave a function a plain function (known not to be a task).
TRANSPARENT_DECORATORS = frozenset(
    {
        "staticmethod",
        "classmethod",
        "property",
        "functools.wraps",
        "functools.cache",
        "functools.lru_cache",
        "functools.cached_property",
        "django.utils.functional.cached_property",
        "contextlib.contextmanager",
        "django.db.transaction.atomic",
        "typing.overload",
        "abc.abstractmethod",
    }
)
