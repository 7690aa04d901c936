"""The JSON API under /api/v1: the census service, authorization table, masking and audit of the
HTML pages, for native clients (mini programs, enumerator tablets). Its OpenAPI 3.1 document is
generated from the models that validate its requests and shape its answers (`web.api.openapi`)."""
