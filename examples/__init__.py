"""Sample code shipped with lb-idbeheer (not part of the service)."""
