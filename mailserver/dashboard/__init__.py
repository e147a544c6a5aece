"""The dashboard, the page after login: queue counts with their trend over the last day, the state
of every mail service, and the mail host's own figures, refreshed in place."""
