"""What admins do beyond the knowledge base itself: the audit log, the unanswered-question loop."""
