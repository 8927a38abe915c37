"""OPT@k benchmark of the skills library (Stage II) on held-out tasks."""
