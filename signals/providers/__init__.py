"""allauth providers that allauth does not ship, each an app of its own."""
