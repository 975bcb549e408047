"""factory_boy: a project's model factories make rows of their `Meta.model`."""
