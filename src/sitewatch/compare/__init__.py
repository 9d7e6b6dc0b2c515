"""sitewatch.compare stage."""
