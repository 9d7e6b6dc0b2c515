"""sitewatch.review stage."""
