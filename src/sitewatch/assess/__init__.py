"""sitewatch.assess stage."""
