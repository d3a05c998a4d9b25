"""The load scenario of the platform (Locust): residents, Open311 clients, operators, analysts."""
