"""Qualified names of Django REST framework."""

from __future__ import annotations

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
MODEL_SERIALIZERS = frozenset(
    {
        "rest_framework.serializers.ModelSerializer",
        "rest_framework.serializers.HyperlinkedModelSerializer",
    }
)
API_REQUESTS = frozenset({"rest_framework.request.Request"})
