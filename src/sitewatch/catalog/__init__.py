"""sitewatch.catalog stage."""
