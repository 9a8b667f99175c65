"""Operations: domain actions that take and return model objects, flush but do not commit,
and write the audit log. Request handlers, jobs and commands call these and own the transaction."""
