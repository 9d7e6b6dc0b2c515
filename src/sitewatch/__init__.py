"""sitewatch: overhead imagery of a site on several dates, turned into publishable evidence."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
