"""sitewatch.imagery stage."""
