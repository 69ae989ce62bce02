"""CAPA: corrective and preventive action (ISO 9001 10.2, ISO 13485 8.5.2/8.5.3), 8D-compatible."""
