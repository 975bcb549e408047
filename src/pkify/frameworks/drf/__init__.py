"""Django REST framework: serializers and generic API views."""
