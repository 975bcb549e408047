"""Django's ORM: models, managers, QuerySets, relations, transactions."""
