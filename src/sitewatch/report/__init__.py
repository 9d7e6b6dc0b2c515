"""sitewatch.report stage."""
