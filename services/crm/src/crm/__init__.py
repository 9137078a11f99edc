"""CRM: customers recognised at once; their contacts, cases, attachments and orders."""
