"""sitewatch.demo stage."""
