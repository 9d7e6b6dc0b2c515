"""sitewatch.cli stage."""
