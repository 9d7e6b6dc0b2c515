"""sitewatch.detect stage."""
