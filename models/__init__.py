"""Shipped model artifacts (``*.joblib``) and their JSON cards; installed as ``haven_models``."""
