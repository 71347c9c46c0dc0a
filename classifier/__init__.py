"""Haven's harassment classifier for English and Dutch Slack messages.

>>> from classifier import load_model
>>> model = load_model()
>>> model.score(["you are not stupid", "nobody wants you on this team"])  # doctest: +SKIP
"""

from classifier.model import HavenModel, ModelLoadError, Result, load_model
from classifier.normalise import normalise

__all__ = ["HavenModel", "ModelLoadError", "Result", "load_model", "normalise"]
