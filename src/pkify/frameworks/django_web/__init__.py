"""Django's web layer: views, forms, the admin, signals and requests."""
