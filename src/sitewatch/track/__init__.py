"""sitewatch.track stage."""
