"""Qualified names and method names of Django's ORM, matched against names the symbol index
resolved (never against the spelling at the call site alone)."""

from __future__ import annotations

from ...project.project import Reexport

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

# GeoDjango's `models` is Django's with geometry fields and aggregates of its own.
GIS_MODELS = Reexport(
    "django.contrib.gis.db.models",
    "django.db.models",
    frozenset(
        {
            "GeometryCollectionField", "GeometryField", "LineStringField", "MultiLineStringField",
            "MultiPointField", "MultiPolygonField", "PointField", "PolygonField", "RasterField",
            "Collect", "Extent", "Extent3D", "MakeLine", "Union",
            "aggregates", "fields", "functions", "lookups", "proxy", "sql",
        }
    ),
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
# `apps.get_model("app", "Model")`, and django-swappable-models' `load_model("app", "Model")`.
GET_MODEL = frozenset({"django.apps.apps.get_model", "django.apps.registry.apps.get_model", "swapper.load_model"})
# Calls that make a model's label (`swapper.get_model_name("config", "Device")` -> "config.Device"),
# as relation fields name their targets in swappable apps.
MODEL_LABEL = frozenset({"swapper.get_model_name"})
APP_CONFIG = frozenset({"django.apps.AppConfig", "django.apps.config.AppConfig"})
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

FOREIGN_KEY_FIELDS = frozenset({"ForeignKey", "OneToOneField", "TreeForeignKey", "TreeOneToOneField", "ParentalKey"})
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
QUERYSET_ANNOTATIONS = QUERYSET_ROOTS | frozenset({"django.db.models.Manager", "django.db.models.manager.Manager"})

# Manager and queryset methods, by what they return.
INSTANCE_METHODS = frozenset(
    {"get", "create", "first", "last", "latest", "earliest"}
    | {"aget", "acreate", "afirst", "alast", "alatest", "aearliest"}
    # Django's own managers: ContentType, Site, User, natural keys
    | {"get_for_model", "get_for_id", "get_current", "create_user", "create_superuser"}
    | {"get_by_natural_key", "acreate_user", "acreate_superuser"}
)
# What every model instance has from `django.db.models.Model` (and what a project's models
# commonly override): reading one off an object tells nothing of its model.
MODEL_MEMBERS = frozenset(
    {"pk", "id", "objects", "_meta", "_state", "DoesNotExist", "MultipleObjectsReturned", "Meta"}
    | {"save", "save_base", "delete", "refresh_from_db", "clean", "clean_fields", "full_clean"}
    | {"validate_unique", "validate_constraints", "get_deferred_fields", "serializable_value"}
    | {"from_db", "check", "get_absolute_url", "natural_key", "asave", "adelete", "arefresh_from_db"}
    | {"__str__", "__repr__", "__init__", "__eq__", "__hash__"}
)
INSTANCE_AND_FLAG_METHODS = frozenset({"get_or_create", "update_or_create", "aget_or_create", "aupdate_or_create"})
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

GET_OBJECT_OR_404 = frozenset({"django.shortcuts.get_object_or_404"})
GET_LIST_OR_404 = frozenset({"django.shortcuts.get_list_or_404"})
AGET_OBJECT_OR_404 = frozenset({"django.shortcuts.aget_object_or_404"})
AGET_LIST_OR_404 = frozenset({"django.shortcuts.aget_list_or_404"})
